import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const ESLINT = path.join(ROOT, 'node_modules/.bin/eslint');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

/** ESLint's messages for `code` as if it were the file `file` (the project's eslint.config.mjs). */
function lintAs(file: string, code: string): LintMessage[] {
  const run = spawnSync(ESLINT, ['--format', 'json', '--stdin', '--stdin-filename', file], { cwd: ROOT, input: code, encoding: 'utf8' });
  const [result] = JSON.parse(run.stdout) as Array<{ messages: LintMessage[] }>;
  return result.messages;
}

const sqlRule = (messages: LintMessage[]) => messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);

const QUERY = `export async function countiesOf(deps: { ds: { query(sql: string): Promise<unknown[]> } }): Promise<unknown[]> {
  return deps.ds.query(\`SELECT id, name FROM region WHERE level = 'county'\`);
}
`;
const BUILDER = `export function stationsOf(ds: { createQueryBuilder(): { getMany(): Promise<unknown[]> } }): Promise<unknown[]> {
  return ds.createQueryBuilder().getMany();
}
`;

/**
 * SQL lives in services and read modules: the lint rule refuses `.query(` and `createQueryBuilder`
 * in HTTP handlers and the CLI (and only there), and the sources keep to it.
 */
describe('no SQL in HTTP handlers or the CLI', () => {
  it('refuses a raw query in an HTTP area and a query builder in a CLI command group', () => {
    expect(sqlRule(lintAs('src/http/api/areas/probe.ts', QUERY))).toEqual([
      'No SQL in src/http or src/cli (query): ask a service, or a read module under src/services/reads/.',
    ]);
    expect(sqlRule(lintAs('src/cli/probe.ts', BUILDER))).toEqual([
      'No SQL in src/http or src/cli (createQueryBuilder): ask a service, or a read module under src/services/reads/.',
    ]);
    expect(sqlRule(lintAs('src/cli.ts', QUERY))).toEqual([
      'No SQL in src/http or src/cli (query): ask a service, or a read module under src/services/reads/.',
    ]);
  });

  it('lets services and read modules query', () => {
    expect(sqlRule(lintAs('src/services/reads/probe.ts', QUERY))).toEqual([]);
    expect(sqlRule(lintAs('src/services/probe.service.ts', BUILDER))).toEqual([]);
  });

  it('finds no query in src/http, src/cli or src/cli.ts', () => {
    const run = spawnSync(ESLINT, ['--format', 'json', 'src/http', 'src/cli', 'src/cli.ts'], { cwd: ROOT, encoding: 'utf8' });
    const found = (JSON.parse(run.stdout) as Array<{ filePath: string; messages: LintMessage[] }>).flatMap((r) =>
      sqlRule(r.messages).map((m) => `${path.relative(ROOT, r.filePath)}: ${m}`),
    );
    expect(found).toEqual([]);
  });
});
