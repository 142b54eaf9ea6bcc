import { type CfnElement, Names, Stack } from 'aws-cdk-lib';
import { Construct, RootConstruct } from 'constructs';

/**
 * The resources of one concern (the phase arcs, the reconciler, the failure alarms), under a
 * construct of their own. In a ConcernStack their logical ids leave the concern's id out, as CDK
 * leaves out a construct id of `Default`: a concern's children take ids unique in the whole stack
 * (a clash fails the synth, which refuses two resources with one logical id).
 */
export class Concern extends Construct {}

/**
 * A stack whose concerns keep the logical ids their resources had as its direct children. The
 * workflows stack built them inline before the concerns existed, and CloudFormation replaces a
 * resource whose logical id changes: a named one (a state machine, an alarm, the alarm topic) cannot
 * be created while the one it replaces still holds the name, so that deploy would fail.
 */
export class ConcernStack extends Stack {
  protected override allocateLogicalId(element: CfnElement): string {
    const path = element.node.scopes.slice(element.node.scopes.indexOf(this) + 1);
    if (!path.some((scope) => scope instanceof Concern)) return super.allocateLogicalId(element);
    return uniqueIdOf(path.filter((scope) => !(scope instanceof Concern)).map((scope) => scope.node.id));
  }
}

/**
 * The id CDK allocates to an element at `path` below a stack, through its public API: the unique id
 * of a scratch construct at that path below a root (the same path-and-hash scheme).
 */
function uniqueIdOf(path: readonly string[]): string {
  let scope: Construct = new RootConstruct();
  for (const id of path) scope = new Construct(scope, id);
  return Names.nodeUniqueId(scope.node);
}
