import {
  type AgentConfig,
  credentialHostRules,
  endpointsOutsideCredential,
  findProviderType,
  type Logger,
  type OutboundGuard,
  type ProviderTypeInfo,
  targetText,
} from '@switchboard/core';
import {
  type ProviderBaseOptions,
  type ProviderContext,
  ProviderError,
  type ProviderFactory,
  type ProviderKind,
} from '@switchboard/engine';
import { registerLocalProviders } from './local-providers.js';
import type { ProviderByKind, ProviderRegistry } from './registry.js';

/** A stored provider as the composition root resolves it: its row plus the decrypted secret. */
export interface ResolvedProvider {
  kind: ProviderKind;
  type: string;
  settings: Record<string, unknown>;
  secret?: string;
  /** The attached credential's name and the hosts an admin allowed it to go to (besides the vendor's). */
  credential?: { name: string; allowedHosts: readonly string[] };
}

/**
 * The guard a provider connects through: with a credential, limited to the hosts that credential
 * may be sent to (the type's vendor hosts and the credential's own list), so neither a provider
 * edited after it was saved nor a credential narrowed later sends the secret anywhere else.
 * Returns an explanation instead when the provider's configured endpoint is already outside them.
 */
export function guardFor(
  outbound: OutboundGuard,
  info: ProviderTypeInfo,
  p: Pick<ResolvedProvider, 'settings' | 'secret' | 'credential'>,
): OutboundGuard | { refused: string } {
  if (!p.secret) return outbound;
  const allowed = p.credential?.allowedHosts ?? [];
  const name = p.credential ? `credential "${p.credential.name}"` : 'its credential';
  const outside = endpointsOutsideCredential(info, p.settings, allowed)[0];
  if (outside) {
    return {
      refused:
        `settings.${outside.setting}: ${targetText(outside.target)} is not an allowed host for ${name}; ` +
        "an admin can add it to the credential's allowedHosts",
    };
  }
  return outbound.pinned({
    rules: credentialHostRules(info, allowed),
    explain: `${name} (an admin can add hosts to the credential's allowedHosts)`,
  });
}

export interface ProviderFactoryOptions {
  /** Looks up a provider id in the call's workspace; null when there is no such provider. */
  resolveProvider: (ref: string, ctx: ProviderContext) => Promise<ResolvedProvider | null>;
  /**
   * The agent document of a call, for providers that read it (local:answerer's FAQ). The engine's
   * ProviderContext carries ids only, so the composition root supplies this (from its resolved
   * snapshot); a `config` on the context itself, when the engine adds one, is preferred.
   */
  getAgentConfig?: (agentId: string, ctx: ProviderContext) => Promise<AgentConfig | undefined>;
  logger: Logger;
  /** Builders by type; defaults to the local providers. Remote adapters register here. */
  registry?: ProviderRegistry;
  /** Passed to every provider base (metrics sink, time limits). */
  baseOptions?: ProviderBaseOptions;
  /** Every connection a provider opens goes through this (network policy); see `guardFor`. */
  outbound: OutboundGuard;
}

const LOCAL_REF = /^local:([a-z0-9-]+)$/;
const UUID_REF = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The ProviderFactory the engine calls for each reference in an agent's provider chain:
 * `local:<type>` builds a built-in offline provider with default settings, a provider id is
 * resolved through `resolveProvider` (settings + credential), and either way the type's builder
 * comes from the registry. Every failure is a ProviderError, so the engine can move on to the
 * chain's next reference; none of these is retryable except a failed lookup.
 */
export function createProviderFactory(opts: ProviderFactoryOptions): ProviderFactory {
  const registry = opts.registry ?? registerLocalProviders();

  async function create<K extends ProviderKind>(kind: K, ref: string, ctx: ProviderContext) {
    const resolved = await resolve(kind, ref, ctx);
    const build = registry.get(kind, resolved.type);
    if (!build) {
      throw new ProviderError(
        'bad_request',
        `provider type ${resolved.type} is not available in this build`,
        {
          provider: ref,
        },
      );
    }
    const info = findProviderType(kind, resolved.type);
    let settings = resolved.settings;
    if (info) {
      const parsed = info.settings.safeParse(settings);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? `settings.${issue.path.join('.')}` : 'settings';
        throw new ProviderError('bad_request', `provider ${ref}: ${where}: ${issue?.message ?? 'invalid'}`, {
          provider: ref,
        });
      }
      settings = parsed.data;
      if (info.needsCredential && !resolved.secret) {
        throw new ProviderError('auth', `provider ${ref} (${resolved.type}) has no credential`, {
          provider: ref,
        });
      }
    }
    // Checked at every use, not only when saved: either side may have changed since.
    const outbound = info ? guardFor(opts.outbound, info, { ...resolved, settings }) : opts.outbound;
    if ('refused' in outbound) {
      throw new ProviderError('bad_request', `provider ${ref}: ${outbound.refused}`, { provider: ref });
    }
    const provider: ProviderByKind[K] = await build({
      ref,
      settings,
      ...(resolved.secret ? { secret: resolved.secret } : {}),
      ctx,
      agentConfig: () => agentConfig(ctx),
      base: { ...opts.baseOptions, outbound },
      logger: ctx.logger,
    });
    return provider;
  }

  async function resolve(kind: ProviderKind, ref: string, ctx: ProviderContext): Promise<ResolvedProvider> {
    const local = LOCAL_REF.exec(ref);
    if (local) return { kind, type: local[1] as string, settings: {} };
    if (!UUID_REF.test(ref)) {
      throw new ProviderError(
        'bad_request',
        `provider reference ${ref} is neither a provider id nor local:<type>`,
        {
          provider: ref,
        },
      );
    }
    let found: ResolvedProvider | null;
    try {
      found = await opts.resolveProvider(ref, ctx);
    } catch (e) {
      // A failed lookup (database down) may succeed later; the error says so through `retryable`.
      throw ProviderError.from(e, ref);
    }
    if (!found) throw new ProviderError('bad_request', `provider ${ref} not found`, { provider: ref });
    if (found.kind !== kind) {
      throw new ProviderError('bad_request', `provider ${ref} is a ${found.kind} provider, not ${kind}`, {
        provider: ref,
      });
    }
    return found;
  }

  async function agentConfig(ctx: ProviderContext): Promise<AgentConfig | undefined> {
    const carried = (ctx as ProviderContext & { config?: AgentConfig }).config;
    if (carried) return carried;
    if (!opts.getAgentConfig) {
      opts.logger.warn(
        { agentId: ctx.agentId },
        'provider factory has no getAgentConfig; agent knowledge unavailable',
      );
      return undefined;
    }
    return opts.getAgentConfig(ctx.agentId, ctx);
  }

  return {
    sts: (ref, ctx) => create('sts', ref, ctx),
    asr: (ref, ctx) => create('asr', ref, ctx),
    llm: (ref, ctx) => create('llm', ref, ctx),
    tts: (ref, ctx) => create('tts', ref, ctx),
  };
}
