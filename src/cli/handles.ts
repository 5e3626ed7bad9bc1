import { Option, type Command } from 'commander';
import { identitySpecs } from '../channels/registry';
import type { IdentityKindSpec } from '../domain/identity-kinds';
import type { PersonInput } from '../services/people.service';

/** A person's name and ids as the `manager add` and `staff add` options give them (one option per identity kind). */
export type HandleOpts = { name?: string } & Record<string, string | undefined>;

const kindOption = (k: IdentityKindSpec): Option => new Option(`--${k.flag} <id>`, k.label);
/** The channel registry's identity kinds, each with its option's key in the parsed options (--wecom-user → wecomUser). */
const KIND_OPTIONS = identitySpecs().map((spec) => ({ spec, key: kindOption(spec).attributeName() }));

/** Adds --name and one option per identity kind (--wecom-user, --openid, --wechat-contact, and each plug-in's) to a command. */
export const handleOptions = (cmd: Command): Command => {
  cmd.option('--name <name>', '姓名');
  for (const { spec } of KIND_OPTIONS) cmd.addOption(kindOption(spec));
  return cmd;
};

/** The person the options describe, for the people service. */
export const personOf = (opts: HandleOpts): PersonInput => ({
  name: opts.name,
  ids: Object.fromEntries(KIND_OPTIONS.map((k) => [k.spec.kind, opts[k.key]])),
});

/** The ids given, in Chinese ("企业微信 zhangsan、公众号 o-1"). */
export const describeHandles = (h: HandleOpts): string =>
  KIND_OPTIONS.map((k) => h[k.key] && `${k.spec.short} ${h[k.key]}`)
    .filter(Boolean)
    .join('、');
