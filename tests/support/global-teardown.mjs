export default async function globalTeardown() {
  const pg = globalThis.__KEPUBOT_PG__;
  if (pg) await pg.stop();
}
