import { GROUP_ROUTES, groupHandlers } from './areas/groups';
import { ROSTER_ROUTES, rosterHandlers } from './areas/roster';
import { ACTIVITY_ROUTES, activityHandlers } from './areas/activities';
import { OVERVIEW_ROUTES, overviewHandlers } from './areas/overview';
import { PEOPLE_ROUTES, peopleHandlers } from './areas/people';
import { REPORT_ROUTES, reportHandlers } from './areas/reports';
import { SESSION_ROUTES, sessionHandlers } from './areas/session';
import { SIGN_IN_ROUTES, signInHandlers } from './areas/sign-in';
import { WECOM_LOGIN_ROUTES, wecomLoginHandlers } from './areas/wecom-login';
import { STATION_ROUTES, stationHandlers } from './areas/stations';
import { SYSTEM_ROUTES, systemHandlers } from './areas/system';
import { JOB_MESSAGE_ROUTES, jobMessageHandlers } from './areas/job-messages';
import { PERIOD_ROUTES, periodHandlers } from './areas/periods';
import type { ApiDeps, ApiHandler, ApiRoute } from './route';

/**
 * Every endpoint under /api/v1, area by area (src/http/api/areas/<area>.ts holds an area's
 * schemas, routes and handlers). Adding an area: its file plus one line in each list below.
 */
export const API_ROUTES = {
  ...SESSION_ROUTES,
  ...SIGN_IN_ROUTES,
  ...WECOM_LOGIN_ROUTES,
  ...STATION_ROUTES,
  ...SYSTEM_ROUTES,
  ...JOB_MESSAGE_ROUTES,
  ...ROSTER_ROUTES,
  ...GROUP_ROUTES,
  ...OVERVIEW_ROUTES,
  ...ACTIVITY_ROUTES,
  ...PEOPLE_ROUTES,
  ...REPORT_ROUTES,
  ...PERIOD_ROUTES,
  openapi: { method: 'get', path: '/openapi.json', summary: '本 API 的 OpenAPI 3.1 描述', auth: false, status: 200 },
} as const satisfies Record<string, ApiRoute>;

/** The handlers of every route but the OpenAPI document (which the router serves itself). */
export function apiHandlers(deps: ApiDeps): Record<Exclude<keyof typeof API_ROUTES, 'openapi'>, ApiHandler> {
  return {
    ...sessionHandlers(deps),
    ...signInHandlers(deps),
    ...wecomLoginHandlers(deps),
    ...stationHandlers(deps),
    ...systemHandlers(deps),
    ...jobMessageHandlers(deps),
    ...rosterHandlers(deps),
    ...groupHandlers(deps),
    ...overviewHandlers(deps),
    ...activityHandlers(deps),
    ...peopleHandlers(deps),
    ...reportHandlers(deps),
    ...periodHandlers(deps),
  };
}
