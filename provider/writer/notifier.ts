// A minimal typed listener registry: the writer's notifications without EventEmitter's untyped arguments.

export type Listener<A extends unknown[]> = (...args: A) => void;

export class Notifier<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners: { [K in keyof Events]?: Array<Listener<Events[K]>> } = {};

  on<K extends keyof Events>(name: K, fn: Listener<Events[K]>): this {
    (this.listeners[name] ??= []).push(fn);
    return this;
  }

  /** Listens for the next notification only. */
  once<K extends keyof Events>(name: K, fn: Listener<Events[K]>): this {
    const wrapper: Listener<Events[K]> = (...args) => {
      this.off(name, wrapper);
      fn(...args);
    };
    return this.on(name, wrapper);
  }

  off<K extends keyof Events>(name: K, fn: Listener<Events[K]>): this {
    const list = this.listeners[name];
    if (list) this.listeners[name] = list.filter((f) => f !== fn);
    return this;
  }

  protected emit<K extends keyof Events>(name: K, ...args: Events[K]): void {
    for (const fn of this.listeners[name] ?? []) fn(...args);
  }
}
