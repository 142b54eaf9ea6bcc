import { pickView } from '../entity.ts';
import { found, InvalidInputError, NotFoundError, NotImplementedError } from '../errors.ts';
import type { Domain, IdpBinding } from '../tenancy.ts';
import type { AuthPorts } from './ports.ts';
import { type IdpBindingView, IdpBindingViewSchema } from './schemas.ts';

// Which identity provider a domain signs in with: the chooser's list and the binding a sign-in uses.

export function idpBindingView(b: IdpBinding): IdpBindingView {
  return pickView(IdpBindingViewSchema, b);
}

/**
 * The bindings a domain signs in with, primary first. An unknown domain answers like a domain
 * with no bindings (an empty list), so this anonymous surface is not a domain-existence oracle.
 */
export async function listIdpBindings(ports: Pick<AuthPorts, 'tenancy'>, domainId: string): Promise<IdpBinding[]> {
  const bindings = await ports.tenancy.listIdpBindings(domainId);
  return bindings.sort((a, b) => Number(b.primary) - Number(a.primary) || a.label.localeCompare(b.label));
}

/** A domain's binding: the one named, else the primary, else the only one. */
export async function resolveBinding(
  ports: Pick<AuthPorts, 'tenancy'>,
  domainId: string | undefined,
  bindingId: string | undefined,
): Promise<{ domain: Domain; binding: IdpBinding }> {
  if (!domainId) {
    throw new InvalidInputError(
      'platform_sign_in_not_enabled',
      'Name the domain to sign in to (domain_id): platform-scoped sign-in is not enabled on this deployment.',
    );
  }
  const domain = await found(ports.tenancy.getDomain(domainId), 'domain_not_found', 'The domain does not exist.');
  let binding: IdpBinding | undefined;
  if (bindingId) {
    binding = await ports.tenancy.getIdpBinding(domainId, bindingId);
  } else {
    const all = await ports.tenancy.listIdpBindings(domainId);
    binding = all.find((b) => b.primary) ?? (all.length === 1 ? all[0] : undefined);
    if (!binding && all.length > 1) {
      throw new InvalidInputError(
        'idp_binding_ambiguous',
        'The domain has several sign-in bindings and no primary one; name idp_binding_id.',
      );
    }
  }
  if (!binding) throw new NotFoundError('idp_binding_not_found', 'The domain has no such active sign-in binding.');
  if (binding.kind !== 'password') {
    throw new NotImplementedError(
      'idp_kind_not_supported',
      `Sign-in through a ${binding.kind} binding is not supported by this broker yet.`,
    );
  }
  return { domain, binding };
}
