// The examples are programs users copy: each must type-check against the SDK as a user's project would see it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/daemon';

const EXAMPLES = join(REPO_ROOT, 'examples');

const CLOUD_STUBS = `
declare module '@pulumi/tls' {
  import * as pulumi from '@pulumi/pulumi';
  export class PrivateKey extends pulumi.CustomResource {
    constructor(name: string, args: { algorithm: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions);
    readonly privateKeyOpenssh: pulumi.Output<string>;
    readonly publicKeyOpenssh: pulumi.Output<string>;
  }
}
declare module '@pulumi/aws' {
  import * as pulumi from '@pulumi/pulumi';
  export namespace ec2 {
    class KeyPair extends pulumi.CustomResource {
      constructor(name: string, args: { publicKey: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions);
      readonly keyName: pulumi.Output<string>;
    }
    class Instance extends pulumi.CustomResource {
      constructor(name: string, args: { ami: pulumi.Input<string>; instanceType: pulumi.Input<string>; subnetId?: pulumi.Input<string>;
        vpcSecurityGroupIds?: pulumi.Input<pulumi.Input<string>[]>; keyName?: pulumi.Input<string>; userData?: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions);
      readonly privateIp: pulumi.Output<string>;
    }
  }
}
`;

test('every example is a Pulumi TypeScript program with a README, and it type-checks against the SDK', () => {
  const dirs = readdirSync(EXAMPLES, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'demo').map((d) => d.name);
  assert.deepEqual(dirs.sort(), ['cascading', 'cluster-to-cluster', 'one-to-many', 'one-to-one', 'rdb-file', 'sentinel-migration', 'ssh-sync-host', 'standalone-to-cluster', 'sync-host-vm']);
  const dir = mkdtempSync(join(tmpdir(), 'redis-sync-examples-'));
  const tsconfig = {
    compilerOptions: {
      strict: true, noEmit: true, target: 'ES2022', module: 'commonjs', moduleResolution: 'node', esModuleInterop: true,
      skipLibCheck: true, types: ['node'], typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
      baseUrl: REPO_ROOT, paths: { 'pulumi-redis-sync': ['sdk/index.ts'], '@pulumi/pulumi': ['node_modules/@pulumi/pulumi'] },
    },
    files: [...dirs.map((d) => join(EXAMPLES, d, 'index.ts')), join(dir, 'cloud-stubs.d.ts')],
  };
  // sync-host-vm uses the AWS and TLS providers, which this repository does not install: their few members it uses,
  // with the real packages' types (an Output<string> address and key), so that passing them as the runner is checked.
  writeFileSync(join(dir, 'cloud-stubs.d.ts'), CLOUD_STUBS);
  for (const d of dirs) {
    for (const f of ['Pulumi.yaml', 'package.json', 'README.md', 'index.ts']) assert.ok(existsSync(join(EXAMPLES, d, f)), `${d}/${f} missing`);
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  try {
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    assert.fail(`the examples do not type-check:\n${(err as { stdout?: string }).stdout ?? err}`);
  }
});
