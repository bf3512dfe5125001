import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../channel-layer/index.js';

describe('redactUrl', () => {
  it.each([
    ['redis://:s3cret@db:6379/0', 'redis://:***@db:6379/0'],
    ['redis://app:s3cret@db', 'redis://app:***@db'],
    ['redis://s3cret@db', 'redis://***@db'],
    ['rediss://db?password=s3cret&db=1', 'rediss://db?password=***&db=1'],
    ['redis://:p%40s3cret@db', 'redis://:***@db'],
    ['redis://:s3cret@db:notaport', 'redis://***@db:notaport'],
  ])('masks the password of %s', (url, masked) => {
    expect(redactUrl(url)).toBe(masked);
    expect(redactUrl(url)).not.toContain('s3cret');
  });

  it.each(['redis://127.0.0.1:6379', 'redis://db:6379/2', 'not a url', ''])('leaves %j as it is', (text) => {
    expect(redactUrl(text)).toBe(text);
  });
});
