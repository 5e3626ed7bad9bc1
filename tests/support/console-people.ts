import { createHash, randomBytes } from 'node:crypto';
import { ConsoleSession, CountyStaff, StationManager } from '../../src/db/entities';
import { SESSION_COOKIE } from '../../src/http/api/areas/session';
import { SESSION_TTL_MS } from '../../src/services/console-auth.service';
import type { ApiBrowser, ConsoleFixture } from './console';

/**
 * A browser signed in as county staff or a station manager, until the console's own sign-in for
 * them (WeCom, one-time link) is there to go through: the session row is written as sign-in
 * writes it, and everything after (cookie → principal → access) is the server's own.
 */
export async function signInAs(
  fx: ConsoleFixture,
  who: { staffOf: number; name?: string } | { managerOf: number; name?: string },
): Promise<ApiBrowser> {
  const ds = fx.db.ds;
  const handle = `test-${randomBytes(4).toString('hex')}`;
  const person =
    'staffOf' in who
      ? {
          kind: 'staff' as const,
          id: (await ds.getRepository(CountyStaff).save({ countyId: who.staffOf, name: who.name ?? '工作人员', wechatContactId: handle }))
            .id,
        }
      : {
          kind: 'manager' as const,
          id: (await ds.getRepository(StationManager).save({ stationId: who.managerOf, name: who.name ?? '站长', wechatContactId: handle }))
            .id,
        };
  const token = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('hex');
  const now = fx.clock.now();
  await ds.getRepository(ConsoleSession).insert({
    tokenSha256: createHash('sha256').update(token, 'utf8').digest('hex'),
    principalKind: person.kind,
    principalId: person.id,
    csrfToken: csrf,
    createdAt: now,
    expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
  });
  const browser = fx.browser();
  browser.cookie = `${SESSION_COOKIE}=${token}`;
  browser.csrf = csrf;
  return browser;
}
