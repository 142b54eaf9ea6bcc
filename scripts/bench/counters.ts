import { dynamoBytesFor, dynamoStatsFor } from '../../local/dynamodb.ts';
import type { RunningStack } from '../../local/stack.ts';

/** What the local cloud counted: state transitions, handler invocations, DynamoDB and EC2 requests. */
export interface CloudCounters {
  stateTransitions: number;
  executionsStarted: number;
  /** API handler invocations by function group (the gateway playing API Gateway + Lambda). */
  apiInvocations: Record<string, number>;
  /** Task handler invocations by step group (the Step Functions emulator playing Lambda). */
  stepInvocations: Record<string, number>;
  dynamoRequests: number;
  dynamoByOperation: Record<string, number>;
  /** Response bytes by operation: what the reads cost on the wire (when the endpoint counted them). */
  dynamoBytesByOperation?: Record<string, number>;
  ec2Requests: number;
}

export function snapshot(stack: RunningStack): CloudCounters {
  const dynamo = dynamoStatsFor(stack.dynamoUrl);
  if (!dynamo) throw new Error(`no DynamoDB counters for ${stack.dynamoUrl}`);
  return {
    stateTransitions: stack.stats.stateTransitions(),
    executionsStarted: stack.stats.executionsStarted(),
    apiInvocations: { ...stack.gateway.stats.invocations },
    stepInvocations: { ...stack.stats.stepInvocations },
    dynamoRequests: dynamo.requests,
    dynamoByOperation: { ...dynamo.byOperation },
    dynamoBytesByOperation: { ...dynamoBytesFor(stack.dynamoUrl) },
    ec2Requests: stack.stats.ec2Requests(),
  };
}

function diffRecord(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[key] ?? 0) - (a[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

/** b − a. */
export function diff(a: CloudCounters, b: CloudCounters): CloudCounters {
  return {
    stateTransitions: b.stateTransitions - a.stateTransitions,
    executionsStarted: b.executionsStarted - a.executionsStarted,
    apiInvocations: diffRecord(a.apiInvocations, b.apiInvocations),
    stepInvocations: diffRecord(a.stepInvocations, b.stepInvocations),
    dynamoRequests: b.dynamoRequests - a.dynamoRequests,
    dynamoByOperation: diffRecord(a.dynamoByOperation, b.dynamoByOperation),
    dynamoBytesByOperation: diffRecord(a.dynamoBytesByOperation ?? {}, b.dynamoBytesByOperation ?? {}),
    ec2Requests: b.ec2Requests - a.ec2Requests,
  };
}

export const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
