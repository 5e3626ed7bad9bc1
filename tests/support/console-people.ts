import { SESSION_COOKIE } from '../../src/http/api/areas/session';
import type { PrincipalKind } from '../../src/db/entities';
import { ApiBrowser, type ConsoleFixture } from './console';

/**
 * A browser signed in as a registered person (county staff or a station manager) the way every
 * sign-in ends: a session opened by ConsoleAuthService for them, its cookie and CSRF token.
 */
export async function signedInAs(fx: ConsoleFixture, kind: PrincipalKind, id: number): Promise<ApiBrowser> {
  const opened = await fx.app.services.consoleAuth.openSession(kind, id, fx.clock.now());
  if (!opened) throw new Error(`no ${kind} ${id}`);
  const b = new ApiBrowser(() => fx.base);
  b.cookie = `${SESSION_COOKIE}=${opened.token}`;
  b.csrf = opened.session.csrfToken;
  return b;
}
