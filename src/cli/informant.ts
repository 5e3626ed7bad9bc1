import type { Command } from 'commander';
import type { CliContext } from './context';

/** `kepubot informant export|forget`. */
export function informantCommands(_program: Command, _ctx: CliContext): void {}
