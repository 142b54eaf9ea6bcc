import { expect } from 'vitest';
import type { Assignment } from '../../functions/core/assignments/assignment.ts';
import type { AuditEntry } from '../../functions/core/assignments/audit.ts';
import type { Blueprint, BlueprintVersion } from '../../functions/core/catalog/blueprints.ts';
import type { Cloud } from '../../functions/core/catalog/clouds.ts';
import type { CloudCredential } from '../../functions/core/catalog/credentials.ts';
import { newId } from '../../functions/core/ids.ts';
import type { Page, PageRequest } from '../../functions/core/pagination.ts';
import type { Resource } from '../../functions/core/resources.ts';
import type { Project } from '../../functions/core/tenancy.ts';

// Entities as the use cases hand them to the stores, each with fresh ids so tests share a table.

export const AT = '2026-06-01T00:00:00.000Z';
export const LATER = '2026-06-01T01:00:00.000Z';

let serial = 0;
/** A slug no other test of this process uses. */
export const uniqueSlug = (prefix: string) => `${prefix}-${process.pid}-${++serial}`;

export function project(domainId: string, overrides: Partial<Project> = {}): Project {
  return {
    id: newId(),
    domain_id: domainId,
    name: 'Conformance',
    slug: uniqueSlug('project'),
    owner_id: newId(),
    resource_count: 0,
    created_at: AT,
    updated_at: AT,
    ...overrides,
  };
}

export function cloud(overrides: Partial<Cloud> = {}): Cloud {
  return {
    id: newId(),
    display_name: 'Conformance cloud',
    slug: uniqueSlug('cloud'),
    provider: 'aws',
    endpoint: { region: 'us-east-1' },
    region_defaults: { region: 'us-east-1' },
    external_id: '123456789012',
    created_at: AT,
    updated_at: AT,
    ...overrides,
  };
}

export function credential(cloudId: string, overrides: Partial<CloudCredential> = {}): CloudCredential {
  return {
    id: newId(),
    cloud_id: cloudId,
    display_name: 'conformance credential',
    version: 1,
    owner_id: newId(),
    expires_at: '2099-01-01T00:00:00.000Z',
    created_at: AT,
    updated_at: AT,
    secret_arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:conformance-AbCdEf',
    secret_version_id: newId(),
    ...overrides,
  };
}

export function blueprint(overrides: Partial<Blueprint> = {}): Blueprint {
  return { id: newId(), slug: uniqueSlug('blueprint'), display_name: 'Conformance blueprint', status: 'active', created_at: AT, updated_at: AT, ...overrides };
}

export function blueprintVersion(blueprintId: string, version: string, overrides: Partial<BlueprintVersion> = {}): BlueprintVersion {
  return {
    id: newId(),
    blueprint_id: blueprintId,
    version,
    provider_kinds: ['aws'],
    injection_strategy: 'cloud-init-user-data',
    parameter_schema: [],
    created_at: AT,
    ...overrides,
  };
}

export function assignment(overrides: Partial<Assignment> = {}): Assignment {
  return {
    id: newId(),
    project_id: newId(),
    domain_id: newId(),
    cloud_credential_id: newId(),
    credential_owner_id: newId(),
    requested_by: newId(),
    state: 'requested',
    created_at: AT,
    updated_at: AT,
    expires_at: LATER,
    ...overrides,
  };
}

export function auditEntry(domainId: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: newId(),
    domain_id: domainId,
    at: AT,
    actor_subject: newId(),
    action: 'assignment.request',
    target: newId(),
    outcome: 'succeeded',
    correlation_id: 'conformance',
    details: { note: 'kept as written' },
    ...overrides,
  };
}

/** A provisioned node Resource, Pending in generation 1 of its provision run. */
export function resource(p: Pick<Project, 'id' | 'domain_id'>, overrides: Partial<Resource> = {}): Resource {
  const id = newId();
  return {
    id,
    project_id: p.id,
    domain_id: p.domain_id,
    kind: 'node',
    origin: 'provisioned',
    created_at: AT,
    updated_at: AT,
    created_by: newId(),
    parameters: { size: 'small', count: 1, spot: false },
    provisioning: {
      phase: 'Pending',
      generation: 1,
      run: 'provision',
      provisioned_resource_id: id,
      reason: 'accepted',
      transitions: [{ phase: 'Pending', at: AT }],
    },
    ...overrides,
  };
}

/** Reads every page of a list with `limit`, checking each page's size and that pages chain by lastId. */
export async function allPages<T extends { id: string }>(list: (page: PageRequest) => Promise<Page<T>>, limit: number): Promise<T[][]> {
  const pages: T[][] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await list({ limit, ...(afterId && { afterId }) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    pages.push(page.items);
    if (!page.lastId) return pages;
    expect(page.lastId).toBe(page.items.at(-1)?.id);
    afterId = page.lastId;
  }
}

/** Ids sorted the way the list indexes order them (UUIDv7: creation order). */
export const sortedIds = (items: Array<{ id: string }>) => items.map((i) => i.id).sort();

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}
