import { describe, expect, it } from 'vitest';
import {
  AclFormatError,
  DEFAULT_CLIENT_ACL,
  EMPTY_ACL,
  aclAllows,
  parseAcl,
  type Acl,
} from '../../src/auth/index.js';

const acl = (paths: Acl['paths']): Acl => parseAcl({ paths });

describe('aclAllows', () => {
  const matrix: [glob: string, method: string, path: string, allowed: boolean][] = [
    // `*` matches exactly one segment.
    ['/*/users/*', 'GET', '/v1/users/USR-1', true],
    ['/*/users/*', 'GET', '/v1/users', false],
    ['/*/users/*', 'GET', '/v1/users/USR-1/conversations', false],
    ['/*/users/*/conversations', 'GET', '/v1/users/USR-1/conversations', true],
    // `**` matches any depth, zero segments included.
    ['/*/users/**', 'GET', '/v1/users', true],
    ['/*/users/**', 'GET', '/v1/users/USR-1', true],
    ['/*/users/**', 'DELETE', '/v1/users/USR-1/sessions/SES-1', true],
    ['/*/users/**', 'GET', '/v1/usersX', false],
    ['/*/users/**', 'GET', '/v1/conversations', false],
    ['/**/events', 'GET', '/v1/conversations/CON-1/events', true],
    ['/**/events', 'GET', '/v1/conversations/CON-1/members', false],
    ['/*/conversations/**/events', 'GET', '/v1/conversations/CON-1/events', true],
    ['/*/conversations/**/events', 'GET', '/v1/conversations/events', true],
    // The leading `/*/` is the version segment, whatever it is, but it must be there.
    ['/*/conversations/**', 'GET', '/v0.3/conversations/CON-1', true],
    ['/*/conversations/**', 'GET', '/conversations/CON-1', false],
    ['/v1/conversations/**', 'GET', '/v2/conversations/CON-1', false],
    // Literal segments are case-sensitive.
    ['/*/users/**', 'GET', '/v1/Users', false],
    // Query string, fragment and trailing slashes do not matter.
    ['/*/users/*', 'GET', '/v1/users/USR-1/', true],
    ['/*/users/*', 'GET', '/v1/users/USR-1?page_size=10&order=desc', true],
    ['/*/users/*', 'GET', '/v1/users/USR-1/?x=/a/b', true],
    ['/*/users/*/', 'GET', '/v1/users/USR-1', true],
    ['/*/users/**', 'GET', '/v1/users#frag', true],
    // Paths that a router might normalise differently are never allowed.
    ['/**', 'GET', '/v1/users/../applications', false],
    ['/**', 'GET', '/v1/./users', false],
    ['/**', 'GET', '/v1/users/%2E%2e/applications', false],
    ['/**', 'GET', '/v1/%2e/users', false],
    ['/**', 'GET', '/v1//users', false],
    ['/**', 'GET', 'v1/users', false],
    ['/**', 'GET', '/', true],
    // A `*` inside a segment is literal.
    ['/*/users/USR-*', 'GET', '/v1/users/USR-1', false],
    ['/*/users/USR-*', 'GET', '/v1/users/USR-*', true],
  ];

  it.each(matrix)('%s %s %s → %s', (glob, method, path, allowed) => {
    expect(aclAllows(acl({ [glob]: {} }), method, path)).toBe(allowed);
  });

  it('restricts methods when the rule lists them, case-insensitively', () => {
    const readOnly = acl({
      '/*/conversations/**': { methods: ['GET'] },
      '/*/users/**': { methods: ['post', 'Patch'] },
    });
    expect(aclAllows(readOnly, 'GET', '/v1/conversations/CON-1')).toBe(true);
    expect(aclAllows(readOnly, 'get', '/v1/conversations/CON-1')).toBe(true);
    expect(aclAllows(readOnly, 'POST', '/v1/conversations')).toBe(false);
    expect(aclAllows(readOnly, 'DELETE', '/v1/conversations/CON-1')).toBe(false);
    expect(aclAllows(readOnly, 'HEAD', '/v1/conversations/CON-1')).toBe(false);
    expect(aclAllows(readOnly, 'POST', '/v1/users')).toBe(true);
    expect(aclAllows(readOnly, 'PATCH', '/v1/users/USR-1')).toBe(true);
    expect(aclAllows(readOnly, 'GET', '/v1/users/USR-1')).toBe(false);
  });

  it('treats an empty rule as every method and an empty methods list as none', () => {
    const rules = acl({ '/*/users/**': {}, '/*/legs/**': { methods: [] } });
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(aclAllows(rules, method, '/v1/users/USR-1')).toBe(true);
      expect(aclAllows(rules, method, '/v1/legs/abc')).toBe(false);
    }
  });

  it('combines globs: any matching rule allows', () => {
    const rules = acl({
      '/*/conversations/*': { methods: ['GET'] },
      '/*/conversations/*/events': { methods: ['POST'] },
    });
    expect(aclAllows(rules, 'POST', '/v1/conversations/CON-1/events')).toBe(true);
    expect(aclAllows(rules, 'POST', '/v1/conversations/CON-1')).toBe(false);
    expect(aclAllows(rules, 'GET', '/v1/conversations/CON-1')).toBe(true);
  });

  it('ignores filters', () => {
    const filtered = acl({ '/*/conversations/**': { filters: { name: 'only-this-one' } } });
    expect(aclAllows(filtered, 'GET', '/v1/conversations/CON-other')).toBe(true);
  });

  it('allows nothing with no paths or no acl at all', () => {
    expect(aclAllows(EMPTY_ACL, 'GET', '/v1/users')).toBe(false);
    expect(aclAllows(parseAcl({}), 'GET', '/v1/users')).toBe(false);
    expect(aclAllows(parseAcl({ paths: {} }), 'GET', '/')).toBe(false);
  });

  it('gives clients the documented resources by default, and not applications', () => {
    for (const path of [
      '/v1/rtc',
      '/v1/users/USR-1',
      '/v1/conversations',
      '/v1/sessions/SES-1',
      '/v1/devices/x',
      '/v1/push/ios',
      '/v1/knocking',
      '/v1/legs/1',
    ]) {
      expect(aclAllows(DEFAULT_CLIENT_ACL, 'POST', path)).toBe(true);
    }
    expect(aclAllows(DEFAULT_CLIENT_ACL, 'GET', '/v1/applications/abc')).toBe(false);
    expect(aclAllows(DEFAULT_CLIENT_ACL, 'GET', '/v1/calls')).toBe(false);
  });

  it('stays fast on many `**` against a deep path (no exponential backtracking)', () => {
    const glob = `/${Array.from({ length: 20 }, () => '**').join('/')}/nomatch`;
    const path = `/${Array.from({ length: 60 }, (_, i) => `s${i}`).join('/')}`;
    expect(aclAllows(acl({ [glob]: {} }), 'GET', path)).toBe(false);
    expect(aclAllows(acl({ '/**': {} }), 'GET', `/${'a/'.repeat(64)}b`)).toBe(false);
  });
});

describe('parseAcl', () => {
  it('normalises methods to upper case and freezes the result', () => {
    const parsed = parseAcl({ paths: { '/*/users/**': { methods: ['get'], other: 1 } } });
    expect(parsed.paths['/*/users/**']).toEqual({ methods: ['GET'] });
    expect(Object.isFrozen(parsed.paths)).toBe(true);
  });

  it('cannot be used for prototype pollution', () => {
    expect(() => parseAcl(JSON.parse('{"paths":{"__proto__":{}}}'))).toThrow(AclFormatError);
    const parsed = parseAcl(JSON.parse('{"paths":{"/__proto__":{}}}'));
    expect(Object.getPrototypeOf(parsed.paths)).toBeNull();
    expect(aclAllows(parsed, 'GET', '/__proto__')).toBe(true);
    expect(aclAllows(parsed, 'GET', '/constructor')).toBe(false);
  });

  it.each([
    ['a string', '/*/users/**'],
    ['null', null],
    ['paths as a list', { paths: ['/*/users/**'] }],
    ['a relative glob', { paths: { 'users/**': {} } }],
    ['a rule that is true', { paths: { '/*/users/**': true } }],
    ['methods as a string', { paths: { '/*/users/**': { methods: 'GET' } } }],
    ['filters as a string', { paths: { '/*/users/**': { filters: 'x' } } }],
  ])('refuses %s', (_name, value) => {
    expect(() => parseAcl(value)).toThrow(AclFormatError);
  });
});
