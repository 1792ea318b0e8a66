import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fromSdkError } from '../../src/aws/errors.js'
import { renderRdsError } from '../../src/interpret/capabilities.js'
import { repoRoot } from '../support/fixtures.js'

const line = (e: unknown) => renderRdsError(fromSdkError('DescribeDBInstances', 'http://127.0.0.1:5000')(e))

test('SDK failures become one line that says what to do, without secrets', () => {
  assert.is(line(Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken' })), 'the AWS credentials have expired (ExpiredToken); refresh them and re-run')
  assert.is(line(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })), 'no usable AWS credentials: Could not load credentials from any providers')
  assert.is(line(Object.assign(new Error('User: arn:aws:iam::1:user/x is not authorized'), { name: 'AccessDenied' })), 'access denied for rds:DescribeDBInstances: User: arn:aws:iam::1:user/x is not authorized')
  assert.is(line(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' })), 'cannot reach RDS at http://127.0.0.1:5000: ECONNREFUSED')
  assert.is(line(Object.assign(new Error('Rate exceeded\nmore'), { name: 'Throttling' })), 'DescribeDBInstances failed (Throttling): Rate exceeded')
  // another service's action names that service
  const ram = renderRdsError(fromSdkError('ram:ListResources', 'http://127.0.0.1:5000')(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })))
  assert.is(ram, 'cannot reach RAM at http://127.0.0.1:5000: ECONNREFUSED')
})

test('the library example plan-demo.mjs runs and prints the demo plan', () => {
  const r = spawnSync(process.execPath, ['examples/plan-demo.mjs'], { cwd: repoRoot, encoding: 'utf8' })
  assert.is(r.status, 0, r.stderr)
  assert.match(r.stdout, /^Plan: clone mitosis-prod into mitosis-demo in us-east-1, 16 steps$/m)
  assert.match(r.stdout, /^1 step\(s\) can start at once$/m)
})

test('the README\'s script plans, saves, checks and applies a clone through the library on the simulator', () => {
  const example = readFileSync(join(repoRoot, 'examples', 'saved-plan.mjs'), 'utf8')
  // the README shows the file as it is: what runs here is what a reader copies
  assert.ok(readFileSync(join(repoRoot, 'README.md'), 'utf8').includes(`\`\`\`js\n${example}\`\`\``), 'README.md shows examples/saved-plan.mjs verbatim')
  const r = spawnSync(process.execPath, ['examples/saved-plan.mjs'], { cwd: repoRoot, encoding: 'utf8' })
  assert.is(r.status, 0, r.stderr)
  assert.match(r.stdout, /plan\.json: 14 steps, still as planned$/m)
  assert.match(r.stdout, /^done 1 CreateDBInstanceReadReplica temp-mitosis-demo$/m)
  assert.match(r.stdout, /^cloned mitosis-prod into mitosis-demo: 14 steps$/m)
})

test.run()
