import { hash, verify } from '@node-rs/argon2';
import { createHash, randomBytes } from 'node:crypto';
import { LessThan, type DataSource } from 'typeorm';
import { z } from 'zod';
import { ConsoleSession, OperatorAccount, type PrincipalKind } from '../db/entities';
import { UserError } from '../errors';

/** How long a console session lasts after sign-in. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

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

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/**
 * Console sign-in: operator accounts (argon2id password hashes) and sessions stored in
 * PostgreSQL. The cookie carries a random token; the table keeps only its SHA-256.
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
  async signIn(name: string, password: string, now: Date): Promise<{ token: string; session: ActiveSession } | null> {
    const account = await this.ds.getRepository(OperatorAccount).findOneBy({ name: name.trim() });
    if (!account) {
      this.dummyHash ??= hash(randomBytes(16).toString('hex'));
      await verify(await this.dummyHash, password);
      return null;
    }
    if (!(await verify(account.passwordHash, password))) return null;
    return this.openSession('operator', account.id, now);
  }

  /**
   * Opens a session for a principal already identified (an operator by password; county staff or
   * a station manager by WeCom or a one-time link). Null when the person is not registered.
   */
  async openSession(kind: PrincipalKind, id: number, now: Date): Promise<{ token: string; session: ActiveSession } | null> {
    const principal = await this.principal(kind, id);
    if (!principal) return null;
    const repo = this.ds.getRepository(ConsoleSession);
    await repo.delete({ expiresAt: LessThan(now) });
    const token = randomBytes(32).toString('base64url');
    const row = repo.create({
      tokenSha256: sha256(token),
      principalKind: kind,
      principalId: id,
      csrfToken: randomBytes(32).toString('hex'),
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
    });
    await repo.insert(row);
    return { token, session: { principal, csrfToken: row.csrfToken, expiresAt: row.expiresAt } };
  }

  /** The live session of a cookie token, or null (unknown, expired, or its person removed). */
  async session(token: string, now: Date): Promise<ActiveSession | null> {
    const row = await this.ds.getRepository(ConsoleSession).findOneBy({ tokenSha256: sha256(token) });
    if (!row || row.expiresAt.getTime() <= now.getTime()) return null;
    const principal = await this.principal(row.principalKind, row.principalId);
    if (!principal) return null;
    return { principal, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
  }

  /** Who a session stands for, as registered now (null once removed). */
  private async principal(kind: PrincipalKind, id: number): Promise<Principal | null> {
    if (kind === 'operator') {
      const account = await this.ds.getRepository(OperatorAccount).findOneBy({ id });
      return account ? { kind, id, name: account.name } : null;
    }
    const rows: Array<{ name: string | null; county_id: number; station_id: number | null }> =
      kind === 'staff'
        ? await this.ds.query(`SELECT name, county_id, NULL AS station_id FROM county_staff WHERE id = $1`, [id])
        : await this.ds.query(
            `SELECT m.name, s.county_id, m.station_id FROM station_manager m JOIN station s ON s.id = m.station_id WHERE m.id = $1`,
            [id],
          );
    const r = rows[0];
    if (!r) return null;
    return { kind, id, name: r.name ?? '', countyId: r.county_id, ...(r.station_id !== null ? { stationId: r.station_id } : {}) };
  }

  /** Ends the session of a cookie token (nothing when there is none). */
  async signOut(token: string): Promise<void> {
    await this.ds.getRepository(ConsoleSession).delete({ tokenSha256: sha256(token) });
  }
}
