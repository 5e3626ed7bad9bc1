import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HelpEntry } from './context';
import type { Robot } from './robot';

/** A bot script: one behaviour, registered on the robot. */
export type BotScript = (robot: Robot) => void;

/** Where the bot scripts live, both under ts-jest (bot-scripts/*.ts) and when built (dist/bot-scripts/*.js). */
export const SCRIPTS_DIR = path.resolve(__dirname, '../../bot-scripts');

/**
 * Reads a Hubot-style header: a leading comment block with `Commands:` lines such as
 * `//   #我的 - 查看我的转发`.
 */
export function parseHeader(source: string, script: string): HelpEntry[] {
  const lines = source.split(/\r?\n/);
  const header: string[] = [];
  for (const line of lines) {
    const m = line.match(/^\s*\/\/ ?(.*)$/);
    if (!m) {
      if (line.trim() === '' && header.length === 0) continue;
      if (line.trim() === '"use strict";' || line.trim() === "'use strict';") continue;
      break;
    }
    header.push(m[1]);
  }
  const entries: HelpEntry[] = [];
  const audience: HelpEntry['audience'] = [];
  let section = '';
  for (const line of header) {
    const sectionMatch = line.match(/^(\w+):\s*$/);
    if (sectionMatch) {
      section = sectionMatch[1].toLowerCase();
      continue;
    }
    if (section === 'audience') {
      for (const a of line.split(/[,，\s]+/)) {
        if (a === 'informant' || a === 'manager' || a === 'staff') audience.push(a);
      }
      continue;
    }
    if (section !== 'commands') continue;
    const m = line.trim().match(/^(.+?)\s+-\s+(.+)$/);
    if (m) entries.push({ script, command: m[1].trim(), description: m[2].trim(), audience });
  }
  if (audience.length === 0) audience.push('informant');
  return entries;
}

function scriptFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
}

/** The help entries the scripts in the folder declare in their headers, without loading them. */
export function readHelp(dir: string = SCRIPTS_DIR): HelpEntry[] {
  return scriptFiles(dir).flatMap((file) =>
    parseHeader(readFileSync(path.join(dir, file), 'utf8'), path.basename(file).replace(/\.(ts|js)$/, '')),
  );
}

/**
 * The command words of the private-chat commands (audience manager or staff) the scripts declare:
 * the first word of each `Commands:` line, without a group's `#`; `(…)` lines are no command.
 * Adding a command to a script's header adds its word (for "did you mean" suggestions).
 */
export function commandWords(help: readonly HelpEntry[]): string[] {
  const words = help
    .filter((h) => !h.command.startsWith('(') && h.audience.some((a) => a === 'manager' || a === 'staff'))
    .map((h) => h.command.replace(/^[#＃]/, '').split(/\s+/)[0])
    .filter(Boolean);
  return [...new Set(words)];
}

/** Loads every script in the folder, in name order, and collects their help entries. */
export function loadScripts(robot: Robot, dir: string = SCRIPTS_DIR): string[] {
  const files = scriptFiles(dir);
  const loaded: string[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    const name = path.basename(file).replace(/\.(ts|js)$/, '');
    // Scripts are plain modules found at run time (Hubot's way): loaded with require, not imported.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(full) as { default?: BotScript };
    if (typeof mod.default !== 'function') throw new Error(`bot script ${file} must default-export (robot) => void`);
    robot.help.push(...parseHeader(readFileSync(full, 'utf8'), name));
    mod.default(robot);
    loaded.push(name);
  }
  return loaded;
}
