import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A migration that has landed is never edited: a database that ran it never sees the edit (add a
 * new migration instead). Each migration's SHA-256 is recorded here when it is added; a later edit,
 * even a reformatting, fails this test. Adding a migration: append its line.
 */
const LANDED: Record<string, string> = {
  '1763800000000-initial-schema.ts': '1c90496318be2e5c2f86a583e5d84556a39ea23f320df3b8d4a94b9daa6e9294',
  '1764000000000-station-commands.ts': 'c964ad10d21bc2c773766883a15b8148eb41a14818128fc7dfca7cccdc820cd1',
  '1764200000000-scheduling.ts': '6f4cad779fea910b8994a994accb5ffeb07a78e9c25dcfe060d6c3695e30da1f',
  '1764400000000-summaries.ts': '60e9afff760fef0682bbd83f7e48ed722298f7c3c72dbd4cfd847b045d2cb2e0',
  '1764600000000-wechat-send-slot.ts': '61a1b95e461a8c74fc5841f2685dd9a28f075a9cf1ff6b8dab3b769ad5cd8184',
  '1764610000000-audit-hashes.ts': '1aef0fdfe05303f965ecb1b3b9f640717f79c97d33f751dd9a5fab1959101a94',
  '1764630000000-outbox-parts.ts': 'd4bc0827d0bb078d000f4bf8c126c13d5390e13a4c83d3ec520095da49aed4a3',
  '1764650000000-alert-incidents.ts': '4a585487903b4a5d09e33fc98e8ebb2c5b6e5db29583d24340a5da38306d4cf4',
  '1764700000000-station-period-repair.ts': '366ddfd66fb681476f627cc9ba0011be19806d8bfed755ff77bb187dc1841cf7',
  '1764800000000-counting-periods.ts': 'e4fa9f083ee3a53a340c1839f522279f972c34c8022ab0c51fcaef32dbae269f',
  '1764810000000-unknown-link-shapes.ts': 'e7e379701dbb581b5e08eaef33db6c29bd90c2339cb9c1822baadbb9f5190cff',
  '1764900000000-console-sessions.ts': '6cd5dff7d365d0119273ecafd8c0a91be2eda5c48f24eeda17e10f09a9fce6d9',
  '1765000000000-console-login-tickets.ts': 'e4f9b0044b589555f26fb229b4a5e3b872baa697aaa52758f2904b1370418324',
  '1765100000000-station-name-per-county.ts': '90c9b50c56f268e9bb201af47005049fb66b99171f51022c243041c42a459b3f',
  '1765200000000-unconfirmed-shares-index.ts': '35da1cbf9dbb8880634fa6c7d2b8202babc21bb06cf36ff6d35dafb4ddf5e85d',
  '1765300000000-callback-replay.ts': '5b394aaa72964523c0641537c4d7487e5cb5188e1fff97905e86e7e32ebe5759',
  '1765310000000-login-attempts.ts': '583e4608740dc33bcca144a999141d59da8edc92ecf17d2ffbbbb1fb3eaa4e78',
  '1765400000000-demo-inbox-content-titles.ts': 'e29eaf8ef7451d70779fb7a90f81da33c1d55947453cbd3b8a73e3a820200fd7',
  '1765500000000-bot-accounts.ts': 'e089a2025db595dff4d9849c36d1f21452c0a3a54c71aec15d15d16f2a94f0ea',
  '1765510000000-message-claims.ts': '8c99234824870f1d72fa4daf578cb3d00877467cbe261978f03cce5136958b44',
  '1765511000000-group-speakers.ts': '70a65e1be81ec21215c2f0cbab5d51c2c5ffd1a1783dad1394e47c6c33cef697',
  '1765520000000-send-pacing.ts': 'a17d5b79fbf59447bb100f3be1d16964b263849397b51c9b133a573c5b894ac8',
  '1765530000000-listen-intervals.ts': 'c0f695fc779cfa460bac27472a0e0585dc344d53894cc35a544982ff5f0359c1',
  '1765600000000-person-identities.ts': '2dd1a57c2af5d675cbafa586e056285e5f7437aba1a5cbda03955599d3ba35ad',
  '1765610000000-job-run-county.ts': '52b905eaeb5a749b5f25d1abd470e29e3261dc8f7b501b1b7f339a45759a4089',
  '1765620000000-station-status.ts': 'ffb0a91f07f37ff9f0652feec1d145ef57a575b734e42b3cf34a193f87d7feb3',
  '1765700000000-county-keys-partitions.ts': 'b92c860fe2b0a439154befb8e66d4e7115f645a9227409739ed92d7c621f92c5',
};

describe('landed migrations are frozen', () => {
  const dir = path.resolve(__dirname, '../../src/db/migrations');
  const files = readdirSync(dir).filter((f) => /^\d+-.+\.ts$/.test(f));

  it('every migration file is recorded, and each is byte for byte what was first committed', () => {
    expect(files.filter((f) => !(f in LANDED))).toEqual([]);
    const changed = files.filter(
      (f) =>
        createHash('sha256')
          .update(readFileSync(path.join(dir, f)))
          .digest('hex') !== LANDED[f],
    );
    expect(changed).toEqual([]);
  });

  it('no recorded migration has been removed', () => {
    expect(Object.keys(LANDED).filter((f) => !files.includes(f))).toEqual([]);
  });
});
