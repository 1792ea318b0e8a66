/**
 * An endpoint that answers something that is not the AWS API: moto 5.2.1 does not implement DescribeAccountAttributes
 * and answers it with an HTML error page (HTTP 500). Here the recording proxy forwards that call to moto instead of
 * standing in for it (test/support/moto.ts), so the CLI gets moto's own answer: an Aurora --plan goes on with RDS's
 * default quotas and says so in one line on stderr, with no XML parser message.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { show } from '../support/cli.js'
import { mutatingActions, seedAuroraPair } from '../support/moto.js'
import { motoSuite } from '../support/moto-e2e.js'

const e2e = motoSuite({ name: 'moto-quotas-test', forward: ['DescribeAccountAttributes'] })

e2e.tests('moto quotas tests', () => {
  test("Aurora --plan where DescribeAccountAttributes answers an HTML page: RDS's default quotas, said in one line on stderr", async () => {
    const moto = await e2e.reset()
    await seedAuroraPair(moto.endpoint)
    moto.clearRequests()

    const r = await e2e.cli(['--source', 'shop-prod', '--target', 'shop-staging', '--plan'], e2e.env(moto))
    assert.is(r.code, 0, show(r))
    assert.match(r.stdout, /^Plan: clone shop-prod into shop-staging in us-east-1, \d+ steps$/m, show(r))
    assert.match(r.stdout, /RestoreDBClusterToPointInTime +temp-shop-staging/, show(r))
    assert.is(
      r.stderr,
      "Note: could not read the account's quotas (DescribeAccountAttributes answered HTTP 500 text/html, not an answer of the RDS API " +
        `(from ${moto.endpoint})); assuming RDS's defaults\n`,
      show(r),
    )
    assert.not.match(r.stderr, /XML|parse|Deserialization/i)
    // moto's own answer was what the CLI read (the proxy stood in for nothing but RAM)
    assert.ok(moto.requests().some((q) => q.action === 'DescribeAccountAttributes'), show(r))
    assert.equal(mutatingActions(moto.requests()), [])
  })
})

test.run()
