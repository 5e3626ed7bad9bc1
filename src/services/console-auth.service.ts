import { hash, verify } from '@node-rs/argon2';
import { createHash, randomBytes } from 'node:crypto';
import { LessThan, type DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  ConsoleLoginTicket,
  ConsoleSession,
  CountyStaff,
  OperatorAccount,
  PersonIdentity,
  StationManager,
  type PrincipalKind,
} from '../db/entities';
import type { IdentityKind } from '../domain/channels';
import { UserError } from '../errors';

/** How long a console session lasts after sign-in. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** How long a one-time sign-in link sent by the bot (`登录`) stays valid. */
export const TICKET_TTL_MS = 10 * 60 * 1000;

/** How long the demo's one-time link, printed at start-up, stays valid (a new one is printed at each start). */
export const DEMO_TICKET_TTL_MS = 24 * 60 * 60 * 1000;

/** The operator account the demo's link signs in as. */
export const DEMO_OPERATOR = 'demo';

/** An operator's name: what `kepubot admin add` and the sign-in form take. */
export const operatorNameSchema = z
  .string()
  .trim()
  .min(1, '请填写用户名')
  .max(64, '用户名最多 64 个字符')
  .regex(/^\S+$/, '用户名不能含空格');

/** A new operator password. */
export const operatorPasswordSchema = z.string().min(10, '密码至少 10 个字符').max(256, '密码最多 256 个字符');

/** Who is signed in: what access checks look at. */
export interface Principal {
  kind: PrincipalKind;
  /** operator_account.id, county_staff.id or station_manager.id. */
  id: number;
  name: string;
  /** County staff: their county; a station manager: their station's county. */
  countyId?: number;
  /** A station manager: their station. */
  stationId?: number;
}

/** A session found from its cookie token. */
export interface ActiveSession {
  principal: Principal;
  csrfToken: string;
  expiresAt: Date;
}

/** Who a session or a ticket is for: the kind and the row id. */
export type PrincipalRef = Pick<Principal, 'kind' | 'id'>;

/** A new session: the cookie's token (never stored) and the session. */
export interface NewSession {
  token: string;
  session: ActiveSession;
}

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** The console link that redeems a ticket: `<CONSOLE_PUBLIC_URL>/#/login?ticket=<ticket>`. */
export function ticketLink(publicUrl: string, ticket: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/#/login?ticket=${encodeURIComponent(ticket)}`;
}

/**
 * Console sign-in: operator accounts (argon2id password hashes), one-time sign-in tickets, and
 * sessions stored in PostgreSQL for operators, county staff and station managers. The cookie
 * and the ticket are random tokens; the tables keep only their SHA-256.
 */
export class ConsoleAuthService {
  /** A hash to verify against when the name is unknown, so both failures take the same time. */
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly ds: DataSource) {}

  /** Adds an operator account; the name must be new. */
  async addOperator(name: string, password: string): Promise<OperatorAccount> {
    const n = operatorNameSchema.safeParse(name);
    if (!n.success) throw new UserError(n.error.issues[0].message);
    const p = operatorPasswordSchema.safeParse(password);
    if (!p.success) throw new UserError(p.error.issues[0].message);
    const repo = this.ds.getRepository(OperatorAccount);
    if (await repo.findOneBy({ name: n.data })) throw new UserError(`已有名为“${n.data}”的操作员`);
    return repo.save(repo.create({ name: n.data, passwordHash: await hash(p.data) }));
  }

  /** Checks the name and password; on success opens a session. Null when either is wrong. */
  async signIn(name: string, password: string, now: Date): Promise<NewSession | null> {
    const account = await this.ds.getRepository(OperatorAccount).findOneBy({ name: name.trim() });
    if (!account) {
      this.dummyHash ??= hash(randomBytes(16).toString('hex'));
      await this.verifyPassword(await this.dummyHash, password);
      return null;
    }
    if (!(await this.verifyPassword(account.passwordHash, password))) return null;
    return this.openSession({ kind: 'operator', id: account.id }, now);
  }

  /** The one argon2id check of a password (every sign-in attempt that gets this far makes exactly one). */
  async verifyPassword(passwordHash: string, password: string): Promise<boolean> {
    return verify(passwordHash, password);
  }

  /**
   * Opens a session for a principal (after WeCom sign-in, a ticket): null when the person or
   * account no longer exists.
   */
  async openSession(ref: PrincipalRef, now: Date, manager: EntityManager = this.ds.manager): Promise<NewSession | null> {
    const principal = await this.principal(ref, manager);
    if (!principal) return null;
    const repo = manager.getRepository(ConsoleSession);
    await repo.delete({ expiresAt: LessThan(now) });
    const token = randomBytes(32).toString('base64url');
    const row = repo.create({
      tokenSha256: sha256(token),
      principalKind: principal.kind,
      principalId: principal.id,
      csrfToken: randomBytes(32).toString('hex'),
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
    });
    await repo.insert(row);
    return { token, session: { principal, csrfToken: row.csrfToken, expiresAt: row.expiresAt } };
  }

  /** The live session of a cookie token, or null (unknown, expired, or its person or account removed). */
  async session(token: string, now: Date): Promise<ActiveSession | null> {
    const row = await this.ds.getRepository(ConsoleSession).findOneBy({ tokenSha256: sha256(token) });
    if (!row || row.expiresAt.getTime() <= now.getTime()) return null;
    const principal = await this.principal({ kind: row.principalKind, id: row.principalId });
    if (!principal) return null;
    return { principal, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
  }

  /** Ends the session of a cookie token (nothing when there is none). */
  async signOut(token: string): Promise<void> {
    await this.ds.getRepository(ConsoleSession).delete({ tokenSha256: sha256(token) });
  }

  /**
   * The principal of a kind and id as it is now: an operator account, county staff (their
   * county) or a station manager (their station and its county); null when removed.
   */
  async principal(ref: PrincipalRef, manager: EntityManager = this.ds.manager): Promise<Principal | null> {
    switch (ref.kind) {
      case 'operator': {
        const account = await manager.getRepository(OperatorAccount).findOneBy({ id: ref.id });
        return account ? { kind: 'operator', id: account.id, name: account.name } : null;
      }
      case 'staff': {
        const staff = await manager.getRepository(CountyStaff).findOneBy({ id: ref.id });
        return staff ? { kind: 'staff', id: staff.id, name: staff.name ?? `工作人员#${staff.id}`, countyId: staff.countyId } : null;
      }
      case 'manager': {
        const m = await manager.getRepository(StationManager).findOne({ where: { id: ref.id }, relations: { station: true } });
        if (!m?.station) return null;
        return { kind: 'manager', id: m.id, name: m.name ?? `e站管理员#${m.id}`, stationId: m.stationId, countyId: m.station.countyId };
      }
      default:
        return null;
    }
  }

  /**
   * Who may sign in with an id of a kind (a WeCom user id for WeCom sign-in, the id a private
   * channel gave the bot): the county staff member or station manager it names (person_identity:
   * an id names one person), or null.
   */
  async principalByHandle(kind: IdentityKind, handle: string): Promise<Principal | null> {
    const id = await this.ds.getRepository(PersonIdentity).findOneBy({ kind, externalId: handle });
    if (id?.staffId) return this.principal({ kind: 'staff', id: id.staffId });
    if (id?.managerId) return this.principal({ kind: 'manager', id: id.managerId });
    return null;
  }

  /**
   * Issues a one-time sign-in ticket for a principal, valid `ttlMs` (default 10 minutes). Returns
   * the ticket itself; only its SHA-256 is stored. Tickets expired a day ago are deleted.
   */
  async issueTicket(ref: PrincipalRef, now: Date, ttlMs: number = TICKET_TTL_MS): Promise<string> {
    const repo = this.ds.getRepository(ConsoleLoginTicket);
    await repo.delete({ expiresAt: LessThan(new Date(now.getTime() - 24 * 60 * 60 * 1000)) });
    const ticket = randomBytes(32).toString('base64url');
    await repo.insert({
      ticketSha256: sha256(ticket),
      principalKind: ref.kind,
      principalId: ref.id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlMs),
      usedAt: null,
    });
    return ticket;
  }

  /**
   * Redeems a ticket: marks it used (one UPDATE, so two redemptions at once cannot both succeed)
   * and opens a session. Null for an unknown, used or expired ticket, or when its person is gone.
   */
  async redeemTicket(ticket: string, now: Date): Promise<NewSession | null> {
    return this.ds.transaction(async (m) => {
      const [rows]: [Array<{ principal_kind: PrincipalKind; principal_id: number }>, number] = await m.query(
        `UPDATE console_login_ticket SET used_at = $2
         WHERE ticket_sha256 = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING principal_kind, principal_id`,
        [sha256(ticket), now],
      );
      const row = rows[0];
      if (!row) return null;
      return this.openSession({ kind: row.principal_kind, id: row.principal_id }, now, m);
    });
  }

  /**
   * The demo's sign-in: the operator account `demo` (made with a random password when missing)
   * and a new ticket for it, valid a day.
   */
  async demoTicket(now: Date): Promise<string> {
    const repo = this.ds.getRepository(OperatorAccount);
    const account =
      (await repo.findOneBy({ name: DEMO_OPERATOR })) ?? (await this.addOperator(DEMO_OPERATOR, randomBytes(24).toString('base64url')));
    return this.issueTicket({ kind: 'operator', id: account.id }, now, DEMO_TICKET_TTL_MS);
  }
}
