/**
 * The AWS side of SubnetZones: EC2 DescribeSubnets, the one API that says which Availability Zone an
 * arbitrary subnet id is in (RDS tells it only for a DB subnet group's own subnets). Same region and
 * profile as RDS; AWS_ENDPOINT_URL(_EC2) for emulators, as the SDK reads them.
 */
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2'
import type { AwsCredentialIdentityProvider } from '@smithy/types'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type { SubnetZones } from './resolve.js'

export interface Ec2Options {
  readonly region: string
  readonly profile?: string | undefined
  /** The credentials RDS is read with, when not the SDK's chain (a role assumed with MFA): EC2 signs with the same. */
  readonly credentials?: AwsCredentialIdentityProvider | undefined
}

export const ec2SubnetZones = (opts: Ec2Options): SubnetZones => ({
  zonesOf: (ids) =>
    TE.tryCatch(
      async () => {
        const client = new EC2Client({
          region: opts.region,
          ...(opts.profile === undefined ? {} : { profile: opts.profile }),
          ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
        })
        try {
          const out = await client.send(new DescribeSubnetsCommand({ SubnetIds: [...ids] }))
          return new Map((out.Subnets ?? []).flatMap((s) => (s.SubnetId !== undefined && s.AvailabilityZone !== undefined ? [[s.SubnetId, s.AvailabilityZone] as const] : [])))
        } finally {
          client.destroy()
        }
      },
      (e) => `[target_db] subnet_ids: EC2 DescribeSubnets failed: ${((e as Error).message ?? String(e)).split('\n')[0]}`,
    ),
})
