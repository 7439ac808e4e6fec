// Matching paths against compiled patterns: case folding per pattern, folders and what is below them.
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { compilePattern, firstMatch, matchesSelfOrParent } from '../../lib/core/path-rules.ts';

const test = suite();

test('firstMatch: in one list, a case-insensitive pattern matches any case, a case-sensitive one only its own; the first that matches wins', () => {
  const patterns = [compilePattern('Docs/*.md', false), compilePattern('CONFIG/**', true), compilePattern('docs/**', true)];
  assert.is(firstMatch(patterns, 'Docs/a.md'), 'Docs/*.md');
  assert.is(firstMatch(patterns, 'DOCS/a.md'), 'docs/**', 'not the case-sensitive pattern');
  assert.is(firstMatch(patterns, 'config/Models.yaml'), 'CONFIG/**');
  assert.is(firstMatch(patterns, 'src/app.ts'), undefined);
  assert.is(firstMatch([compilePattern('İ', true)], 'i\u0307'), 'İ', 'folded as String.prototype.toLowerCase folds (İ becomes two code units)');
});

test('matchesSelfOrParent: a folder pattern matches the folder and everything below it, whatever separators the path has', () => {
  const secret = [compilePattern('docs/secret', true)];
  for (const path of ['docs/secret', 'docs/secret/key.md', 'DOCS/Secret/a/b/c', 'docs/secret/', 'docs/secret//x']) assert.is(matchesSelfOrParent(secret, path), 'docs/secret', path);
  for (const path of ['docs/secrets', 'docs', 'docs/secret.md', '/docs/secret', '', 'x/docs/secret']) assert.is(matchesSelfOrParent(secret, path), undefined, path);
  const star = [compilePattern('docs/*', true)];
  assert.is(matchesSelfOrParent(star, 'docs/sub/x.md'), 'docs/*', 'a parent matches');
  assert.is(matchesSelfOrParent([compilePattern('İ', true)], 'İ/x.md'), 'İ', 'each prefix is folded by itself');
});

test.run();
