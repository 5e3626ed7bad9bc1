import type { Command } from 'commander';
import { UserError } from '../errors';
import type { CliContext } from './context';

/** Reads standard input to its end. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** `kepubot admin add <name> --password-stdin`: the console's operators. */
export function adminCommands(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  const admin = program.command('admin').description('管理后台的操作员账号');
  admin
    .command('add <name>')
    .description('添加操作员（密码用 argon2 加密保存）')
    .option('--password-stdin', '从标准输入读取密码，例如 echo "$PASSWORD" | kepubot admin add it --password-stdin')
    .action(async (name: string, opts: { passwordStdin?: boolean }) => {
      if (!opts.passwordStdin) throw new UserError('请用 --password-stdin 从标准输入提供密码（不在命令行上写密码）');
      // One trailing line break (from echo or a file) is not part of the password.
      const password = (await (io.stdin ?? readStdin)()).replace(/\r?\n$/, '');
      await ctx.withDatabase(`admin add ${name}`, async (s) => {
        const account = await s.consoleAuth.addOperator(name, password);
        io.out(`已添加操作员“${account.name}”，可在管理后台登录`);
      });
    });
}
