import type { Command } from 'commander';
import { isJobName, JOB_NAMES, ruleProblem } from '../domain/schedule';
import { UserError } from '../errors';
import type { CliContext } from './context';

/** `kepubot county <name>`: a county's job times (cron rules) and its digest webhook. */
export function countyCommands(program: Command, ctx: CliContext): void {
  const { io, config } = ctx;
  program
    .command('county <name>')
    .description('设置旗县区的定时任务时间（cron 规则）和周报群机器人')
    .option('--job <job>', `任务：${JOB_NAMES.join(' / ')}`)
    .option('--rule <cron>', '时间规则，例如 "0 19 * * *"（北京时间；传 default 恢复默认）')
    .option('--webhook <url>', '企业微信群机器人 webhook 地址（传 none 清除）')
    .action(async (name: string, opts: { job?: string; rule?: string; webhook?: string }) => {
      await ctx.withDatabase(`county ${name}`, async (s, ds) => {
        const county = await s.regions.countyByName(name);
        if (opts.job || opts.rule) {
          if (!opts.job || !isJobName(opts.job)) throw new UserError(`--job 应为 ${JOB_NAMES.join('、')} 之一`);
          if (!opts.rule) throw new UserError('缺少 --rule，例如 --rule "0 19 * * *"');
          if (opts.rule === 'default') {
            await s.regions.setJobRule(county.id, opts.job, null);
          } else {
            const problem = ruleProblem(opts.rule, config.schedule.zone);
            if (problem) throw new UserError(`时间规则有误：${problem}`);
            await s.regions.setJobRule(county.id, opts.job, opts.rule);
          }
          io.out(`已设置${county.name}的 ${opts.job}：${opts.rule}（重启 kepubot 后生效）`);
        }
        if (opts.webhook) {
          if (opts.webhook !== 'none' && !/^https?:\/\/.+\/webhook\/send\?key=.+/.test(opts.webhook)) {
            throw new UserError('webhook 地址应形如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...');
          }
          await s.regions.setDigestWebhook(county.id, opts.webhook === 'none' ? null : opts.webhook);
          io.out(opts.webhook === 'none' ? `已清除${county.name}的群机器人` : `已设置${county.name}的周报群机器人`);
          if (opts.webhook !== 'none') await ctx.retryPending(s, ds);
        }
      });
    });
}
