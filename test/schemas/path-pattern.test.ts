import { describe, expect, it } from 'vitest';
import { compilePathPattern } from '../../schemas/index.js';

describe('path patterns', () => {
  it('matches exact paths, with an optional trailing slash', () => {
    const p = compilePathPattern('/hello');
    expect(p.match('/hello')).toEqual({});
    expect(p.match('/hello/')).toEqual({});
    expect(p.match('/hello/x')).toBeUndefined();
    expect(p.match('/hell')).toBeUndefined();
  });

  it('captures one segment per parameter and the rest for a trailing *', () => {
    expect(compilePathPattern('/ws/chat/:room').match('/ws/chat/lobby')).toEqual({ room: 'lobby' });
    expect(compilePathPattern('/ws/chat/:room').match('/ws/chat/a/b')).toBeUndefined();
    expect(compilePathPattern('/u/:id/posts/:post').match('/u/7/posts/9')).toEqual({ id: '7', post: '9' });
    expect(compilePathPattern('/files/*').match('/files/a/b.txt')).toEqual({ '*': 'a/b.txt' });
  });

  it('treats regex characters in patterns literally and rejects bad patterns', () => {
    expect(compilePathPattern('/a.b').match('/axb')).toBeUndefined();
    expect(compilePathPattern('/a.b').match('/a.b')).toEqual({});
    expect(() => compilePathPattern('no-slash')).toThrow(/must start with "\/"/);
    expect(() => compilePathPattern('/x/:1bad')).toThrow(/bad parameter name/);
  });
});
