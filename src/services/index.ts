import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config';
import type { IdentityKinds } from '../domain/identity-kinds';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { ActivityService } from './activity.service';
import { AuditService } from './audit.service';
import { BotAccountService } from './bot-account.service';
import { CallbackReceiptService } from './callback-receipt.service';
import { builtInIdentityKinds } from './channels';
import { ConsoleAuthService } from './console-auth.service';
import { ContentTitleService } from './content-titles.service';
import { CountyPolicyService } from './county-policy.service';
import { GroupService } from './group.service';
import { InformantService } from './informant.service';
import { LinkShapeService } from './link-shapes.service';
import { MessageClaims } from './message-claims';
import { GroupSpeakers } from './group-speakers.service';
import { GroupCoverage } from './group-coverage.service';
import { OverviewService } from './overview.service';
import { PartitionKeeper } from './partitions.service';
import { PeopleService } from './people.service';
import { PersonalDataService } from './personal-data.service';
import { RegionService } from './regions.service';
import { ReportService } from './report.service';
import { RosterService } from './roster.service';
import { ShareCounter } from './share-counter.service';
import { ShareSpool } from './share-spool';
import { StationService } from './station.service';
import { StatisticsService } from './statistics.service';
import { createReads, type Reads } from './reads';

/** The use cases, built once from the DataSource and handed to scripts, channels and the CLI. */
export interface Services {
  shares: ShareCounter;
  groups: GroupService;
  informants: InformantService;
  stations: StationService;
  statistics: StatisticsService;
  reports: ReportService;
  roster: RosterService;
  audit: AuditService;
  /** A person's data: export and erasure (PIPL requests). */
  personalData: PersonalDataService;
  people: PeopleService;
  activities: ActivityService;
  receipts: CallbackReceiptService;
  /** Kepu China links not counted: unknown URL shapes, items over the per-message limit. */
  links: LinkShapeService;
  /** Console sign-in: operator accounts and sessions. */
  consoleAuth: ConsoleAuthService;
  /** The console's overview of a county (figures, series, ranking, what needs attention). */
  overview: OverviewService;
  /** Titles of items shared only as a bare URL (fetched once per item, cached). */
  titles: ContentTitleService;
  /** Once-only answers and prompts for group messages heard by several accounts. */
  claims: MessageClaims;
  /** Which accounts are in which group, and each group's speaker (election, pin). */
  speakers: GroupSpeakers;
  /** When accounts listened, each group's coverage and unheard windows, suspect accounts. */
  coverage: GroupCoverage;
  /** The bot's WeChat accounts (as data): add, pause, resume, remove, list with status. */
  accounts: BotAccountService;
  /** The county policy: quota, counting start, counted days, no activity this month, silent groups. */
  policy: CountyPolicyService;
  /** The regions: the county list, a region by name, a county's job rules and digest webhook. */
  regions: RegionService;
  /** The raw tables' monthly partitions: created ahead, dropped by retention once summarised. */
  partitions: PartitionKeeper;
  /** Read modules named after what they read (job scopes, the send queue): src/services/reads/. */
  reads: Reads;
}

/**
 * The services over one DataSource. `kinds`: the installation's identity kinds (the server and the
 * CLI pass the channel registry's, src/channels/registry.ts `identityKindsOf`); default the built-in channels'.
 */
export function createServices(
  ds: DataSource,
  config: AppConfig,
  metrics?: Metrics,
  log?: Logger,
  kinds: IdentityKinds = builtInIdentityKinds(config),
): Services {
  const policy = new CountyPolicyService(ds, config.counting.dailyQuota);
  const statistics = new StatisticsService(ds, policy);
  return {
    shares: new ShareCounter(
      ds,
      {
        batchMax: config.counting.batchMax,
        batchWaitMs: config.counting.batchWaitMs,
        writeTimeoutMs: config.resilience.shareWriteTimeoutMs,
      },
      metrics,
      log?.child({ component: 'share-counter' }),
      // Opened (and drained) only by ShareCounter.start(), which the server calls.
      new ShareSpool(config.resilience.spoolDir, { maxBytes: config.resilience.spoolMaxBytes }, log?.child({ component: 'spool' })),
    ),
    groups: new GroupService(ds),
    informants: new InformantService(ds),
    stations: new StationService(ds),
    statistics,
    reports: new ReportService(ds, statistics, config.evaluation),
    roster: new RosterService(ds),
    audit: new AuditService(ds),
    personalData: new PersonalDataService(ds),
    people: new PeopleService(ds, kinds),
    activities: new ActivityService(ds),
    receipts: new CallbackReceiptService(ds, config.callbacks.maxAgeSeconds),
    links: new LinkShapeService(ds, metrics),
    consoleAuth: new ConsoleAuthService(ds),
    overview: new OverviewService(ds, statistics, policy),
    titles: new ContentTitleService(ds, config.contentTitles, config.links, log?.child({ component: 'content-titles' })),
    claims: new MessageClaims(ds),
    speakers: new GroupSpeakers(ds),
    coverage: new GroupCoverage(ds),
    accounts: new BotAccountService(ds),
    policy,
    regions: new RegionService(ds),
    partitions: new PartitionKeeper(ds, statistics.summaries),
    reads: createReads(ds),
  };
}
