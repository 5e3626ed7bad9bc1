/**
 * A person's identities as data: each channel declares the kind of id its senders have (a WeCom
 * user id, an Official Account openid, a WeChat contact id, the next channel's), and a station
 * manager or county staff member holds at most one id of each kind (table person_identity).
 * Nothing outside a channel's declaration names a kind: the people service, console sign-in, the
 * console API and page, and the CLI read the registry.
 */

/** The name of an identity kind (person_identity.kind; never renamed, rows carry it). */
export type IdentityKind = 'wecom-user' | 'openid' | 'wechat-contact' | (string & {});

/** What a channel declares about its senders' ids. */
export interface IdentityKindSpec {
  kind: IdentityKind;
  /** How the console and the CLI name it, in Chinese. */
  label: string;
  /** How a line names one id of it: `${short} ${id}` (e.g. 企业微信 zhangsan). */
  short: string;
  /** The CLI option (without the dashes) of `manager add` / `staff add` that takes it. */
  flag: string;
  /** The longest id (person_identity.external_id holds at most 128 characters). */
  maxLength: number;
  /** Why `id` cannot be an id of this kind (Chinese, without quoting it), or null when it can. */
  check?(id: string): string | null;
}

/** A registered kind, and why nobody can be registered with it here (its channel not configured), or null. */
export interface IdentityKindEntry extends IdentityKindSpec {
  unavailable: string | null;
}

/** One id of a person: its kind and the channel's id. */
export interface PersonIdentity {
  kind: IdentityKind;
  externalId: string;
}

const MAX_EXTERNAL_ID = 128;
const VISIBLE = /^[^\s\p{C}]+$/u;

/** Ids have no spaces or control characters: every channel's ids so far, and nothing a terminal or a log line would misread. */
export function visibleId(id: string): string | null {
  return VISIBLE.test(id) ? null : '不能包含空格或控制字符';
}

/** The identity kinds an installation knows, in the order they are shown. */
export class IdentityKinds {
  private readonly byKind = new Map<string, IdentityKindEntry>();

  constructor(entries: readonly IdentityKindEntry[]) {
    for (const e of entries) {
      if (this.byKind.has(e.kind)) throw new Error(`identity kind ${e.kind} declared twice`);
      if (e.maxLength > MAX_EXTERNAL_ID) throw new Error(`identity kind ${e.kind}: ids longer than ${MAX_EXTERNAL_ID} cannot be stored`);
      this.byKind.set(e.kind, e);
    }
  }

  /** Every kind, in registration order. */
  get all(): IdentityKindEntry[] {
    return [...this.byKind.values()];
  }

  get(kind: string): IdentityKindEntry | undefined {
    return this.byKind.get(kind);
  }

  /** The kinds' labels joined for a message ("企业微信 UserID、公众号 OpenID 或微信联系人 ID"). */
  labels(): string {
    const names = this.all.map((k) => k.label);
    return names.length > 1 ? `${names.slice(0, -1).join('、')} 或${names.at(-1)}` : (names[0] ?? '');
  }

  /**
   * Why these identities cannot be registered (Chinese), or null: an unknown or unconfigured
   * kind, an id too long or of the wrong form. Ids are trimmed by the caller.
   */
  problem(ids: readonly PersonIdentity[]): string | null {
    if (ids.length === 0) return `请至少给出一种联系方式：${this.all.map((k) => `--${k.flag}`).join('、')}`;
    const seen = new Set<string>();
    for (const { kind, externalId } of ids) {
      const spec = this.get(kind);
      if (!spec) return `不认识的联系方式“${kind.slice(0, 32)}”（可用：${this.all.map((k) => k.kind).join('、')}）`;
      if (seen.has(kind)) return `${spec.label}只能填一个`;
      seen.add(kind);
      if (spec.unavailable) return `不能登记 --${spec.flag}。${spec.unavailable}，设置后再登记（kepubot 服务也要重启）`;
      if (!externalId) return `${spec.label}不能为空`;
      if (externalId.length > spec.maxLength) return `${spec.label}最多 ${spec.maxLength} 个字符`;
      const bad = visibleId(externalId) ?? spec.check?.(externalId) ?? null;
      if (bad) return `${spec.label}${bad}`;
    }
    return null;
  }
}

/** A WeCom user id (企业微信 UserID): what the WeCom app's callbacks and WeCom sign-in give. */
export const WECOM_USER: IdentityKindSpec = {
  kind: 'wecom-user',
  label: '企业微信 UserID',
  short: '企业微信',
  flag: 'wecom-user',
  maxLength: 64,
};

/** An Official Account openid: what the Official Account's callbacks give. */
export const MP_OPENID: IdentityKindSpec = { kind: 'openid', label: '公众号 OpenID', short: '公众号', flag: 'openid', maxLength: 64 };

/** A WeChat contact id: a private chat with the bot (and the informants' groups). */
export const WECHAT_CONTACT: IdentityKindSpec = {
  kind: 'wechat-contact',
  label: '微信联系人 ID',
  short: '微信',
  flag: 'wechat-contact',
  maxLength: 128,
};
