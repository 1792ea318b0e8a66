import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { decode, EnvironmentFile, DBInstance } from '../../src/plan/domain.js'
import { replicaForest, replicaTree, breadthFirst } from '../../src/plan/forest.js'
import { identifierProblem, stripTemp } from '../../src/plan/identifiers.js'
import { fixture } from '../support/fixtures.js'

const minimal = (id: string, extra: object = {}) => ({ DBInstanceIdentifier: id, DBInstanceClass: 'db.t4g.micro', Engine: 'postgres', DBInstanceStatus: 'available', ...extra })

test('a bad field is named with its path', () => {
  const r = decode(EnvironmentFile)({ DBInstances: [minimal('a'), { ...minimal('b'), Engine: 42 }] })
  assert.equal(r, E.left('DBInstances[1].Engine: expected string, got 42'))
  const nested = decode(EnvironmentFile)({ DBInstances: [minimal('a', { VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }] })] })
  assert.equal(nested, E.left('DBInstances[0].VpcSecurityGroups[0].Status: expected string, got nothing'))
  assert.equal(decode(EnvironmentFile)({}), E.left('DBInstances: expected Array<DBInstance>, got nothing'))
  assert.equal(decode(EnvironmentFile)([]), E.left('(top level): expected { DBInstances: Array<DBInstance> }, got an array'))
})

test('several bad fields: the first is named and the rest counted', () => {
  const r = decode(EnvironmentFile)({ DBInstances: [{ DBInstanceIdentifier: 'a' }] })
  assert.ok(E.isLeft(r) && /^DBInstances\[0\]\.DBInstanceClass: expected string, got nothing \(and 2 more\)$/.test(r.left), JSON.stringify(r))
})

test('SDK dates and JSON strings both decode to ISO timestamps', () => {
  const fromSdk = DBInstance.decode(minimal('a', { InstanceCreateTime: new Date('2026-01-02T03:04:05Z') }))
  const fromJson = DBInstance.decode(minimal('a', { InstanceCreateTime: '2026-01-02T03:04:05Z' }))
  assert.equal(E.map((i: DBInstance) => i.InstanceCreateTime)(fromSdk), E.right('2026-01-02T03:04:05.000Z'))
  assert.equal(fromSdk, fromJson)
  assert.ok(E.isLeft(DBInstance.decode(minimal('a', { InstanceCreateTime: 'yesterday' }))))
})

test('the forest is built from either side of the replica link', () => {
  const onlyChildSide = [minimal('root'), minimal('r1', { ReadReplicaSourceDBInstanceIdentifier: 'root' })]
  const onlyParentSide = [minimal('root', { ReadReplicaDBInstanceIdentifiers: ['r1'] }), minimal('r1')]
  for (const instances of [onlyChildSide, onlyParentSide]) {
    const decoded = instances.map((i) => DBInstance.decode(i)).map((r) => (E.isRight(r) ? r.right : undefined)!)
    const forest = replicaForest(decoded)
    assert.is(forest.parentOf('r1'), 'root')
    assert.equal(forest.replicasOf('root'), ['r1'])
  }
})

test('the cascade fixture is a tree three replicas deep, walked breadth-first', () => {
  const env = fixture('mysql-cascade')
  const tree = replicaTree(replicaForest(env.instances), 'shop-staging')!
  assert.equal(breadthFirst(tree).map((n) => [n.instance.DBInstanceIdentifier, n.depth]), [
    ['shop-staging', 0],
    ['shop-staging-r1', 1],
    ['shop-staging-r2', 1],
    ['shop-staging-r1-r1', 2],
    ['shop-staging-r1-r1-r1', 3],
  ])
})

test('identifiers follow RDS rules', () => {
  assert.is(identifierProblem('mitosis-demo'), undefined)
  assert.is(identifierProblem('1db'), 'must start with a letter')
  assert.is(identifierProblem('db-'), 'must not end with a hyphen')
  assert.is(identifierProblem('db--x'), 'must not contain two hyphens in a row')
  assert.is(identifierProblem('db_x'), 'may contain only letters, digits and hyphens')
  assert.is(identifierProblem(`a${'b'.repeat(62)}`), undefined)
  assert.is(identifierProblem(`a${'b'.repeat(63)}`), 'is 64 characters long (RDS allows 63)')
  assert.is(stripTemp('temp-app-temp-db'), 'app-temp-db')
  assert.is(stripTemp('app-temp-db'), 'app-temp-db')
})

test.run()
