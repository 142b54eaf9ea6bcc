import { ArnFormat, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { TABLE_KEYS } from '../../functions/adapters/dynamo/table-def.ts';
import { StageSecrets } from '../constructs/stage-secrets.ts';
import { leadingKeysCondition, type TableUser } from '../constructs/table-access.ts';
import { tableName } from '../naming.ts';

// scripts/ (seed-stage, localstack-deploy) name the table through this.
export { tableName as tableNameOf } from '../naming.ts';

export interface DataStackProps extends StackProps {
  stage: string;
}

interface IndexKeys {
  name: string;
  partitionKey: string;
  sortKey: string;
}

/** Every global secondary index table-def.ts declares (any entry shaped as an index). */
export function secondaryIndexes(): IndexKeys[] {
  return Object.values(TABLE_KEYS).filter((v): v is IndexKeys & typeof v => typeof v === 'object');
}

/**
 * Everything the table adapter (functions/adapters/dynamo/table.ts) sends: single-item reads and
 * writes, consistent batch reads, queries, and all-or-nothing transactions of those reads and writes
 * (IAM authorizes TransactWriteItems and TransactGetItems by the action of each item; a
 * transaction's ConditionCheck, as webhook-store.ts sends, is dynamodb:ConditionCheckItem). Never
 * a scan. test/infra/table-access-recorded.test.ts holds every action the functions send to this list.
 */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:Query',
] as const;

/** The single table (keys and indexes from table-def.ts) and the stage's secret names. */
export class DataStack extends Stack {
  readonly table: Table;
  readonly secrets: StageSecrets;
  readonly stage: string;
  /** Fixed per stage, so other stacks name the table (and its ARN) without a cross-stack export. */
  readonly tableName: string;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.secrets = new StageSecrets(props.stage);
    this.tableName = tableName(props.stage);
    this.table = new Table(this, 'Table', {
      tableName: this.tableName,
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Items may carry a `ttl` for AWS to sweep; expiry itself is always checked in code.
      timeToLiveAttribute: 'ttl',
      // New items as written: the webhook dispatcher follows inserted event items (constructs/webhooks.ts).
      stream: StreamViewType.NEW_IMAGE,
      // The table outlives the stack in every stage; outside dev it also cannot be deleted by hand.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: props.stage !== 'dev',
    });
    this.stage = props.stage;
    for (const index of secondaryIndexes()) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
  }

  /**
   * The table actions every function uses, on the table and its indexes (ARN formatted in the
   * grantee's stack), limited to the partitions `user` touches (constructs/table-access.ts).
   */
  grantTableUse(grantee: IGrantable & IConstruct, user: TableUser): void {
    const arn = Stack.of(grantee).formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: this.tableName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...TABLE_ACTIONS],
        resources: [arn, `${arn}/index/*`],
        conditions: leadingKeysCondition(user),
      }),
    );
  }
}
