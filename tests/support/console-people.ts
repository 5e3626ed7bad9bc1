import type { PrincipalKind } from '../../src/db/entities';
import { SESSION_COOKIE } from '../../src/http/api/areas/session';
import { ApiBrowser, type ConsoleFixture } from './console';

/**
 * Registers county staff or a station manager and signs them in the way they do: a one-time
 * link's ticket (what `登录` to the bot gives) redeemed at POST /api/v1/auth/ticket.
 */
export async function signInAs(
  fx: ConsoleFixture,
  who: { staffOf: number; name?: string } | { managerOf: number; name?: string },
): Promise<ApiBrowser> {
  const people = fx.app.services.people;
  const ids = { 'wechat-contact': `test-${Math.random().toString(36).slice(2)}` };
  const ref =
    'staffOf' in who
      ? { kind: 'staff' as const, id: (await people.addStaffTo(who.staffOf, { name: who.name ?? '工作人员', ids })).id }
      : { kind: 'manager' as const, id: (await people.addManagerTo(who.managerOf, { name: who.name ?? '站长', ids })).id };
  const ticket = await fx.app.services.consoleAuth.issueTicket(ref, fx.clock.now());
  const browser = fx.browser();
  const r = await browser.call('POST', '/api/v1/auth/ticket', { body: { ticket } });
  if (r.status !== 201 || typeof r.json?.csrfToken !== 'string') throw new Error(`ticket sign-in failed: ${r.status}`);
  browser.csrf = r.json.csrfToken;
  return browser;
}

/**
 * A browser signed in as a registered person (county staff or a station manager) the way every
 * sign-in ends: a session opened by ConsoleAuthService for them, its cookie and CSRF token.
 */
export async function signedInAs(fx: ConsoleFixture, kind: PrincipalKind, id: number): Promise<ApiBrowser> {
  const opened = await fx.app.services.consoleAuth.openSession({ kind, id }, fx.clock.now());
  if (!opened) throw new Error(`no ${kind} ${id}`);
  const b = new ApiBrowser(() => fx.base);
  b.cookie = `${SESSION_COOKIE}=${opened.token}`;
  b.csrf = opened.session.csrfToken;
  return b;
}
