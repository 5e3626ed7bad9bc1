import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import { loadMe, session, type Me } from './api';
import { loadPeriods } from './format';

type Kind = Me['kind'];
const ALL: Kind[] = ['operator', 'staff', 'manager'];
const COUNTY: Kind[] = ['operator', 'staff'];

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    /** Who may open the page (the server checks anyway); the menu hides the rest. */
    kinds?: Kind[];
    /** The page needs no session. */
    public?: boolean;
  }
}

/** The menu: path, Chinese name, data-test key, who sees it. */
export const NAV: Array<{ path: string; title: string; test: string; kinds: Kind[] }> = [
  { path: '/', title: '总览', test: 'nav-overview', kinds: ALL },
  { path: '/stations', title: 'e站', test: 'nav-stations', kinds: ALL },
  { path: '/roster', title: '名册', test: 'nav-roster', kinds: ALL },
  { path: '/groups', title: '群', test: 'nav-groups', kinds: COUNTY },
  { path: '/activities', title: '活动', test: 'nav-activities', kinds: ALL },
  { path: '/people', title: '人员', test: 'nav-people', kinds: COUNTY },
  { path: '/jobs', title: '任务', test: 'nav-jobs', kinds: COUNTY },
  { path: '/reports', title: '报表', test: 'nav-reports', kinds: COUNTY },
  { path: '/robot', title: '机器人', test: 'nav-robot', kinds: COUNTY },
];

const kindsOf = (path: string): Kind[] => NAV.find((n) => n.path === path)?.kinds ?? ALL;

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./pages/LoginPage.vue'), meta: { title: '登录', public: true } },
  { path: '/', component: () => import('./pages/OverviewPage.vue'), meta: { title: '总览', kinds: kindsOf('/') } },
  { path: '/stations', component: () => import('./pages/StationsPage.vue'), meta: { title: 'e站', kinds: kindsOf('/stations') } },
  {
    path: '/stations/:id(\\d+)',
    component: () => import('./pages/StationPage.vue'),
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { title: 'e站详情', kinds: ALL },
  },
  { path: '/roster', component: () => import('./pages/RosterPage.vue'), meta: { title: '名册', kinds: kindsOf('/roster') } },
  { path: '/groups', component: () => import('./pages/GroupsPage.vue'), meta: { title: '群', kinds: kindsOf('/groups') } },
  { path: '/activities', component: () => import('./pages/ActivitiesPage.vue'), meta: { title: '活动', kinds: kindsOf('/activities') } },
  { path: '/people', component: () => import('./pages/PeoplePage.vue'), meta: { title: '人员', kinds: kindsOf('/people') } },
  { path: '/jobs', component: () => import('./pages/JobsPage.vue'), meta: { title: '任务', kinds: kindsOf('/jobs') } },
  { path: '/reports', component: () => import('./pages/ReportsPage.vue'), meta: { title: '报表', kinds: kindsOf('/reports') } },
  { path: '/robot', component: () => import('./pages/RobotPage.vue'), meta: { title: '机器人', kinds: kindsOf('/robot') } },
  { path: '/:rest(.*)*', redirect: '/' },
];

/** Hash history: the server serves index.html at / only, no fallback routes needed. */
export const router = createRouter({ history: createWebHashHistory(), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  const me = session.checked ? session.me : await loadMe();
  if (!me) return { path: '/login', query: to.fullPath === '/' ? {} : { next: to.fullPath } };
  // The periods the pickers offer, keyed and labelled by the server (before the page sets its default period).
  await loadPeriods();
  if (to.meta.kinds && !to.meta.kinds.includes(me.kind)) return { path: '/' };
  return true;
});

router.afterEach((to) => {
  document.title = `${to.meta.title ?? ''} · 科普e站助手`;
});
