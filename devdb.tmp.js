require('reflect-metadata');
const { openDatabaseServer } = require('./dist/src/db/embedded-postgres');
const { createLogger } = require('./dist/src/logger');
openDatabaseServer({ dataDir: '/tmp/devdb', embeddedPort: 55444 }, createLogger('warn')).then((s) => { console.log(s.url); require('fs').writeFileSync('/tmp/devdb/url', s.url); setInterval(() => {}, 1e6); });
