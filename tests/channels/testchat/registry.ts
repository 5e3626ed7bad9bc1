import { CHANNELS } from '../../../src/channels/registry';
import { testchat, TestchatInbox } from './testchat-channel';

/** The fake testchat service's inbox (answers sent after the reply deadline). */
export const testchatInbox = new TestchatInbox();

/** The test's channel registry: the real one plus one line for the testchat plug-in. */
export const TEST_CHANNELS = [
  ...CHANNELS,
  testchat({ token: 'tc-token', bodyLimitBytes: 4096, replyDeadlineMs: 1000, send: (to, text) => testchatInbox.deliver(to, text) }),
];
