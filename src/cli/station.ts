import type { Command } from 'commander';
import { STATION_TYPES } from '../db/entities';
import { parsePeriod } from '../domain/periods';
import { UserError } from '../errors';
import { STATION_TYPE_HINT, stationTypeOf, type StationChange } from '../services/station.service';
import type { CliContext } from './context';

/** `kepubot station add|list|set`: the e-stations. */
export function stationCommands(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  const station = program.command('station').description('管理e站');
  station
    .command('add <name>')
    .description('添加e站（旗县区、盟市、省不存在时一并创建）')
    .requiredOption('--county <name>', '所属旗县区')
    .option('--prefecture <name>', '所属盟市/地市')
    .option('--province <name>', '所属省/自治区')
    .option('--type <type>', `e站类型：${STATION_TYPES.join(' / ')}（也可写中文，如 社区）`, 'other')
    .action(async (name: string, opts: { county: string; prefecture?: string; province?: string; type: string }) => {
      await ctx.withDatabase(`station add ${name}`, async (s) => {
        // Checked inside, so a bad type is audited like any refused command.
        const type = stationTypeOf(opts.type);
        if (!type) throw new UserError(STATION_TYPE_HINT);
        const st = await s.stations.add({ ...opts, name, type });
        io.out(`已添加e站“${st.name}”（编号 ${st.id}）`);
      });
    });
  station
    .command('list')
    .description('列出所有e站')
    .action(async () => {
      await ctx.withDatabase('station list', async (s) => {
        const list = await s.stations.list();
        if (list.length === 0) io.out('还没有e站。用 kepubot station add <名称> --county <旗县区> 添加');
        for (const st of list) io.out(`${st.id}\t${st.name}\t${st.countyName}\t${st.type}\t${st.status}`);
      });
    });

  station
    .command('set <name>')
    .description('修改e站：统计开始日、名称、类型，停用或启用')
    .option('--county <name>', '所属旗县区（不同旗县区有同名e站时必填）')
    .option('--counting-from <day>', '统计开始日，例如 2026-11-27（此前的日子不计入统计；默认为第一个群绑定的日期）')
    .option('--rename <name>', '新名称（同一旗县区内不能重名）')
    .option('--type <type>', `e站类型：${STATION_TYPES.join(' / ')}`)
    .option('--disable', '停用（撤销）e站：不再提醒、不再月检')
    .option('--enable', '重新启用e站')
    .action(
      async (
        name: string,
        opts: { county?: string; countingFrom?: string; rename?: string; type?: string; disable?: boolean; enable?: boolean },
      ) => {
        const change: StationChange = {};
        if (opts.countingFrom !== undefined) {
          const day = parsePeriod(opts.countingFrom);
          if (!day || day.kind !== 'day') throw new UserError(`--counting-from 格式不对，例如 2026-11-27`);
          change.countingFrom = day.key;
        }
        if (opts.rename !== undefined) change.name = opts.rename;
        if (opts.type !== undefined) {
          const type = stationTypeOf(opts.type);
          if (!type) throw new UserError(STATION_TYPE_HINT);
          change.type = type;
        }
        if (opts.disable && opts.enable) throw new UserError('--disable 和 --enable 不能同时使用');
        if (opts.disable) change.status = 'disabled';
        if (opts.enable) change.status = 'active';
        if (Object.keys(change).length === 0)
          throw new UserError('请至少给出一项修改：--counting-from、--rename、--type、--disable 或 --enable');
        const line = `station set ${name}${opts.county ? ` --county ${opts.county}` : ''}`;
        await ctx.withDatabase(line, async (s) => {
          const found = await s.stations.require(name, opts.county);
          const st = await s.stations.update(found.id, change);
          const done = [
            change.countingFrom && `统计开始日为 ${change.countingFrom}`,
            change.name && `名称为“${st.name}”`,
            change.type && `类型为 ${st.type}`,
            change.status === 'disabled' && '停用',
            change.status === 'active' && '启用',
          ].filter(Boolean);
          io.out(`已设置${st.countyName}的e站“${st.name}”：${done.join('，')}`);
        });
      },
    );
}
