/** The header rows of the filed tables, written out by hand (not the constants that write them): one expectation for every test that reads a filed table. */

// The station table's header row as filed, written out by hand (not the constant that writes it).
export const STATION_HEADERS = [
  '序号',
  'e站',
  '类型',
  '状态',
  '统计开始日',
  '统计天数',
  '信息员',
  '信息员≥500',
  '本期新增',
  '活跃信息员',
  '活跃率',
  '有效转发',
  '信息员人天',
  '人均每天有效转发',
  '人均达标',
  '达标率',
  '活动次数',
  '50人以上活动',
  '活动达标',
  '参加人次',
  '宣传栏更换',
  '宣传栏达标',
  '大屏播放小时',
  '大屏达标',
];
