import type { Command } from 'commander';
import type { CliContext } from './context';

/** `kepubot roster template`. */
export function rosterCommands(_program: Command, _ctx: CliContext): void {}
