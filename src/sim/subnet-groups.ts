/**
 * DB subnet groups: CreateDBSubnetGroup (RDS wants subnets in two Availability Zones at least), their
 * name-based ARNs and their tags.
 */
import type { DBSubnetGroup } from '../plan/domain.js'
import type { RdsOperation } from '../plan/operations.js'
import { fault } from './limits.js'
import { clone, type SimState } from './state.js'

export const subnetGroupRoom = (sim: SimState) => {
  const { arnPrefix, subnetGroups, subnetGroupTags } = sim
  const createSubnetGroup = (r: Extract<RdsOperation, { op: 'CreateDBSubnetGroup' }>['request']) => {
    if (subnetGroups.has(r.DBSubnetGroupName)) fault('DBSubnetGroupAlreadyExists', `The DB subnet group '${r.DBSubnetGroupName}' already exists.`)
    if (r.SubnetIds.length < 2) {
      fault('DBSubnetGroupDoesNotCoverEnoughAZs', 'The DB subnet group doesn\'t meet Availability Zone (AZ) coverage requirement. Current AZ coverage: 1. Add subnets to cover at least 2 AZs.')
    }
    subnetGroups.set(r.DBSubnetGroupName, {
      DBSubnetGroupName: r.DBSubnetGroupName,
      DBSubnetGroupDescription: r.DBSubnetGroupDescription,
      SubnetGroupStatus: 'Complete',
      Subnets: r.SubnetIds.map((s) => ({ SubnetIdentifier: s, SubnetStatus: 'Active' })),
    })
    // RDS keeps the tags the call carries on the new group (ListTagsForResource on its subgrp ARN shows them)
    subnetGroupTags.set(r.DBSubnetGroupName, clone([...(r.Tags ?? [])]))
  }

  // a subnet group's ARN is name-based: arn:aws:rds:<region>:<account>:subgrp:<name>
  const subnetGroupArnOf = (name: string) => `${arnPrefix}:subgrp:${name}`
  const subnetGroupOfArn = (arn: string): string | undefined => {
    const m = arn.match(/^(arn:[^:]+:rds:[^:]*:[^:]*):subgrp:(.+)$/)
    return m === null || m[1] !== arnPrefix ? undefined : m[2]!
  }
  /** The name of the subnet group an ARN names. */
  const subnetGroupByArnOrFail = (arn: string): string => {
    const name = subnetGroupOfArn(arn)
    if (name === undefined) return fault('InvalidParameterValue', `${arn} is not a valid DB subnet group ARN in this account and region.`)
    if (!subnetGroups.has(name)) return fault('DBSubnetGroupNotFoundFault', `DBSubnetGroup ${name} not found.`)
    return name
  }
  const viewSubnetGroup = (name: string): DBSubnetGroup => ({ ...(clone(subnetGroups.get(name)!) as DBSubnetGroup), DBSubnetGroupArn: subnetGroupArnOf(name) })
  return { createSubnetGroup, subnetGroupArnOf, subnetGroupOfArn, subnetGroupByArnOrFail, viewSubnetGroup }
}
