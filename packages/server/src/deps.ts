import type {
  CallEventBus,
  Config,
  Logger,
  ProviderTestCode,
  ValidateCarrierCredential,
} from '@switchboard/core';
import type { HomeAssistant, VapiSync } from '@switchboard/integrations';
import type { Store } from '@switchboard/store';
import type { Registry } from 'prom-client';
import type { RedisCallDirectory } from './calls/call-directory.js';
import type { CallRunner } from './calls/call-runner.js';
import type { EmbedderFor, KnowledgeEmbedding } from './calls/knowledge-embedding.js';
import type { TalkTokens } from './calls/talk-token.js';

/** A subsystem that is optional, reported on /health/ready. */
export interface SubsystemState {
  name: string;
  /** `disabled` when not configured: that is healthy, not a failure. */
  state: 'up' | 'down' | 'disabled' | 'degraded';
  detail?: string;
}

/** Everything the HTTP app needs, wired by the composition root. */
export interface AppDeps {
  config: Config;
  store: Store;
  logger: Logger;
  internalToken: string;
  metrics: Registry;
  /** Extra readiness checks (Redis, MQTT, SIP, queue…); each says its own state. */
  subsystems?: (() => Promise<SubsystemState> | SubsystemState)[];
  /** The call runtime; without it the app serves configuration only. */
  calls?: { runner: CallRunner; tokens: TalkTokens; bus: CallEventBus; directory?: RedisCallDirectory };
  /** Checks a stored provider against its service; without it `POST /providers/{id}/test` is a 501. */
  providerTester?: (workspaceId: string, providerId: string) => Promise<ProviderTestOutcome>;
  /**
   * Checks a carrier account credential (`twilio:…`, `plivo:…`, `telnyx`) against the carrier before
   * it is stored; the checks live with the connectors. Without it such credentials are stored only
   * with `?validate=false`, and their test is a 501.
   */
  validateCarrierCredential?: ValidateCarrierCredential;
  /** Workspaces' Home Assistant connections; without it saving a connection is a 503. */
  home?: HomeAssistant;
  /** Syncs agents to Vapi assistants; without it the Vapi routes are a 503. */
  vapi?: VapiSync;
  /**
   * Knowledge bases' embeddings: the endpoint builder and the background embedder. Without it
   * embeddings settings are stored but search stays full-text.
   */
  knowledge?: { embedderFor: EmbedderFor; embedding: KnowledgeEmbedding };
}

/** What a provider check answers; the checks themselves live in @switchboard/providers. */
export interface ProviderTestOutcome {
  ok: boolean;
  code: ProviderTestCode;
  message: string;
  latencyMs: number;
}
