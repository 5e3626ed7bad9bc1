/** Rules about the bot's WeChat accounts (pure; no I/O). */

/** A puppet service address: host:port. */
export const PUPPET_ENDPOINT = /^[\w.-]{1,200}:\d{1,5}$/;

/** An account's name: letters (Chinese too), digits, `_`, `.`, `-`; 1–32 characters. */
export const ACCOUNT_NAME = /^[\p{L}\p{N}_.-]{1,32}$/u;

/** A puppet service token: 8–255 printable characters without spaces. */
export const ACCOUNT_TOKEN = /^[\x21-\x7e]{8,255}$/;

/** The Chinese problem with an account name, or null. */
export function accountNameProblem(name: string): string | null {
  if (ACCOUNT_NAME.test(name)) return null;
  return '微信号名称应为 1–32 个字（汉字、字母、数字、_ . -），例如 工作号1';
}

/** The Chinese problem with a puppet service endpoint, or null. */
export function endpointProblem(endpoint: string): string | null {
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  if (PUPPET_ENDPOINT.test(endpoint) && port >= 1 && port <= 65535) return null;
  return `--endpoint 应为 主机:端口，例如 10.0.0.2:8788（收到“${endpoint.slice(0, 40)}”）`;
}

/** The Chinese problem with a token, or null (the token itself is never quoted). */
export function tokenProblem(token: string): string | null {
  if (ACCOUNT_TOKEN.test(token)) return null;
  return '--token 应为 puppet 服务商给的 token（8–255 个字符，不含空格）';
}

/** A token as it may be shown: its last 4 characters at most (none when short), the rest hidden. */
export function maskToken(token: string | null | undefined): string | null {
  if (!token) return null;
  return token.length >= 16 ? `****${token.slice(-4)}` : '****';
}

/** At most this many counties per account on the command line. */
export const ACCOUNT_COUNTIES_MAX = 50;

/** What an account is doing, in Chinese (CLI and console say the same). */
export function accountStateLabel(a: {
  paused: boolean;
  holder: string | null;
  state: string;
  loggedIn: boolean;
  waitingForScan: boolean;
  /** Logged in but hearing nothing while other accounts in its groups do (see GroupCoverage.markSuspects). */
  suspectSince?: Date | null;
}): string {
  if (a.paused) return '已暂停';
  if (!a.holder) return '无进程连接';
  if (a.state === 'online' && a.loggedIn) return a.suspectSince ? '疑似失效（已登录但收不到消息）' : '在线';
  if (a.waitingForScan) return '等待扫码登录';
  if (a.state === 'online') return '未登录';
  if (a.state === 'starting') return '正在连接';
  if (a.state === 'reconnecting') return '重连中';
  return '已停止';
}
