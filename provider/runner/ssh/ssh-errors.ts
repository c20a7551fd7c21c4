// What went wrong with an SSH target, in words that say which problem it is and what to do about it: the OpenSSH
// client only exits 255 and prints a line that differs between a wrong host key, a refused key and a dead host.

export type SshFailure = 'hostKey' | 'auth' | 'unreachable' | 'noNode' | 'client' | 'command';

export class SshError extends Error {
  constructor(readonly kind: SshFailure, message: string, readonly where: string) {
    super(message);
  }
}

export function classifySshFailure(stderr: string, where: string, killed: boolean): SshError {
  const text = stderr.trim();
  const last = text.split('\n').filter((l) => l.trim() && !/^@+$/.test(l.trim())).slice(-1)[0] ?? '';
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key for .* has changed|No \S+ host key is known/i.test(text)) {
    return new SshError('hostKey', `wrong host key: ${where} did not show the pinned host key (runner.ssh.hostKey). Compare it with the host's /etc/ssh/ssh_host_*_key.pub (ssh-keyscan shows what it offers); if the host was rebuilt, set the new key. Nothing was changed on the host.`, where);
  }
  if (/Permission denied|Too many authentication failures|Authentication failed/i.test(text)) {
    return new SshError('auth', `key refused: ${where} did not accept runner.ssh.privateKey for user "${where.split('@')[0]}". Add its public key (ssh-keygen -y -f KEY) to that user's ~/.ssh/authorized_keys on the host, or fix runner.ssh.user.`, where);
  }
  if (/invalid format|load key|error in libcrypto|bad permissions/i.test(text)) {
    return new SshError('auth', `runner.ssh.privateKey is not a usable private key (${last}): give the private key's full text (OpenSSH or PEM), not the public key.`, where);
  }
  if (killed || /Connection refused|timed out|No route to host|Network is unreachable|Could not resolve hostname|Connection closed by|Connection reset|kex_exchange_identification|Name or service not known/i.test(text)) {
    return new SshError('unreachable', `host unreachable: cannot connect to ${where} (${last || 'timed out'}). Check runner.ssh.host and port, that sshd runs there, and that this machine (or the jump host) may reach it (firewall, security group).`, where);
  }
  return new SshError('client', `ssh to ${where} failed: ${last || 'no message'}`, where);
}
