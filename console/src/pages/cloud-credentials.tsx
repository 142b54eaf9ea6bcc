// A cloud's credentials as a table of metadata, each revocable behind a typed confirmation (the
// credential's name) and a reason.
import { useState } from 'preact/hooks';
import type { Schemas } from '../../../client/broker.ts';
import { api, must } from '../api.ts';
import { ReasonField, useRequiredReason } from '../ui/approval-reason.tsx';
import { useAction } from '../ui/async.ts';
import { CopyableId } from '../ui/copyable-id.tsx';
import { dateTime, relative } from '../ui/format.ts';
import { Badge, StatusNotice, Table, TypedConfirmation } from '../ui/kit.tsx';
import { PAGE_SIZE, PagedList, usePaged } from '../ui/paging.tsx';

type Credential = Schemas['CredentialView'];

const STATUS = {
  active: ['ok', 'Active'],
  expired: ['warn', 'Expired'],
  revoked: ['bad', 'Revoked'],
} as const;

function When(props: { at: string }) {
  return (
    <>
      {dateTime(props.at)} <span class="muted-text">({relative(props.at)})</span>
    </>
  );
}

function RevokeDialog(props: { credential: Credential; onCancel: () => void; onRevoked: (c: Credential) => void }) {
  const { credential } = props;
  const reason = useRequiredReason('Give a reason for the revocation.');
  const action = useAction(async () => {
    const said = reason.take();
    if (!said) return;
    const revoked = await must(
      api.POST('/v1/cloud-credentials/{id}/revoke', { params: { path: { id: credential.id } }, body: { reason: said } }),
    );
    props.onRevoked(revoked);
  });
  return (
    <TypedConfirmation
      title={`Revoke ${credential.display_name}`}
      explanation={
        <p>
          A revoked credential can no longer be assigned, and no new Resource can be created with it. Resources already running keep what
          they were given, so they can still be torn down. A revocation cannot be undone.
        </p>
      }
      expected={credential.display_name}
      confirmLabel="Revoke the credential"
      busy={action.busy}
      error={action.error}
      onConfirm={() => void action.run()}
      onCancel={props.onCancel}
    >
      <ReasonField label="Reason" hint="Recorded with the revocation." {...reason.field} />
    </TypedConfirmation>
  );
}

export function CloudCredentials(props: { cloudId: string }) {
  const paged = usePaged(
    (cursor) =>
      must(
        api.GET('/v1/clouds/{id}/cloud-credentials', {
          params: { path: { id: props.cloudId }, query: { limit: PAGE_SIZE, ...(cursor && { cursor }) } },
        }),
      ),
    [props.cloudId],
  );
  const [revoking, setRevoking] = useState<Credential>();
  const [notice, setNotice] = useState('');
  return (
    <>
      <StatusNotice text={notice} />
      <PagedList paged={paged} what="credentials">
        {(items) => (
          <Table<Credential>
            caption="Credentials of this cloud"
            rows={items}
            rowKey={(c) => c.id}
            empty="This cloud has no credential yet."
            columns={[
              { header: 'Name', cell: (c) => c.display_name },
              {
                header: 'Status',
                cell: (c) => (
                  <>
                    <Badge tone={STATUS[c.status][0]}>{STATUS[c.status][1]}</Badge>
                    {c.revoked_at && (
                      <span class="terms-line">
                        Revoked <When at={c.revoked_at} />
                      </span>
                    )}
                  </>
                ),
              },
              { header: 'Version', cell: (c) => c.version },
              { header: 'Expires', cell: (c) => <When at={c.expires_at} /> },
              { header: 'Issued', cell: (c) => dateTime(c.created_at) },
              // The id is what a project owner names when asking for the credential.
              { header: 'Id', cell: (c) => <CopyableId id={c.id} what={`the id of ${c.display_name}`} /> },
              {
                header: 'Action',
                cell: (c) =>
                  c.status === 'revoked' ? (
                    <span class="muted-text">None: revoked</span>
                  ) : (
                    <button type="button" class="danger" onClick={() => setRevoking(c)}>
                      Revoke<span class="visually-hidden"> {c.display_name}</span>
                    </button>
                  ),
              },
            ]}
          />
        )}
      </PagedList>
      {revoking && (
        <RevokeDialog
          credential={revoking}
          onCancel={() => setRevoking(undefined)}
          onRevoked={(c) => {
            paged.update(c);
            setRevoking(undefined);
            setNotice(`Revoked ${c.display_name}.`);
          }}
        />
      )}
    </>
  );
}
