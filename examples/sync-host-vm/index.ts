// A sync host made by the same program: a small VM in the Redis servers' subnet, a key generated for it, and the
// task's daemon on it. The runner takes the VM's outputs; the engine creates the VM first and the task waits for it.
// Run Pulumi where the VM's private address is reachable (a CI runner in the VPC), or add runner.ssh.jump.
import * as pulumi from '@pulumi/pulumi';
import * as aws from '@pulumi/aws';
import * as tls from '@pulumi/tls';
import { RedisSyncTask } from 'pulumi-redis-sync';

const cfg = new pulumi.Config();
const key = new tls.PrivateKey('sync-host', { algorithm: 'ED25519' });
const keyPair = new aws.ec2.KeyPair('sync-host', { publicKey: key.publicKeyOpenssh });
const vm = new aws.ec2.Instance('sync-host', {
  ami: cfg.require('debian13Ami'), // Debian 13: its nodejs package is Node.js 20
  instanceType: 't3.small',
  subnetId: cfg.require('subnetId'),
  vpcSecurityGroupIds: [cfg.require('securityGroupId')],
  keyName: keyPair.keyName,
  // cron: as admin (not root) the daemon runs under the project's supervisor with an @reboot crontab entry.
  userData: '#cloud-config\npackages: [nodejs, cron]\n',
});

const task = new RedisSyncTask('orders', {
  source: { mode: 'standalone', nodes: [cfg.require('sourceNode')], password: cfg.requireSecret('srcPass') },
  destination: { mode: 'standalone', nodes: [cfg.require('destinationNode')], password: cfg.requireSecret('dstPass') },
  runner: {
    ssh: {
      host: vm.privateIp,
      user: 'admin',
      privateKey: key.privateKeyOpenssh,
      // The VM is booting and cloud-init installs Node.js: create waits for both. Its host key is trusted on first
      // use and pinned in the state (runnerHostKey); set hostKey to pin it beforehand.
      waitForHostSeconds: 600,
    },
  },
});

export const state = task.state;
// The VM's addresses, for the destination's allow-list.
export const daemonHost = task.daemonHost;
