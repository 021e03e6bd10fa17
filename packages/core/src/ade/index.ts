/** Account-driven enrollment setup: configurations, domains, ADE tokens and fallback, composed. */
import type { AdeService } from '../entities/service.ts';
import type { CoreOptions } from '../options.ts';
import type { PolicyReads } from '../policies/tree.ts';
import { brandingOperations } from './branding.ts';
import { configurationOperations } from './configurations.ts';
import { fallbackOperations } from './fallback.ts';
import { lifecycleOperations } from './lifecycle.ts';
import { signInLockoutOperations } from './sign-in-lockouts.ts';
import { tokenChanges } from './token-changes.ts';
import { tokenOperations } from './tokens.ts';

export function adeOperations(service: AdeService, policies: PolicyReads, options: CoreOptions) {
  const tokens = tokenOperations(service, policies, options);
  const fallback = fallbackOperations(service, policies, tokens, options);
  const configurations = configurationOperations(service, policies, fallback.wishes);
  const lifecycle = lifecycleOperations(service, policies, configurations, fallback, tokens, options.now);
  const changes = tokenChanges(service, policies, tokens, configurations);
  const branding = brandingOperations(service, configurations);
  const lockouts = signInLockoutOperations(service, configurations, options);
  return {
    configurations: {
      ...configurations,
      ...lifecycle,
      registrations: fallback.registrations,
      syncFallback: fallback.sync,
      signInLockouts: lockouts.list,
      clearSignInLockout: lockouts.clear,
    },
    tokens: { ...tokens, assign: changes.assign, remove: changes.remove },
    branding,
  };
}

export type AdeOperations = ReturnType<typeof adeOperations>;
