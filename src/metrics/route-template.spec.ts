import { routeTemplate, UNMATCHED_ROUTE } from './route-template.js';

describe('routeTemplate', () => {
  it.each([
    ['/keys/*', '/keys/{key}'],
    ['/key/*', '/key/{key}'],
    ['/keys', '/keys'],
    ['/keys/_mget', '/keys/_mget'],
    ['/health/ready', '/health/ready'],
    ['/docs/*', '/docs/{path}'],
    ['/items/:id/parts/:part', '/items/{id}/parts/{part}'],
  ])('names the route %s as %s', (pattern, template) => {
    expect(routeTemplate(pattern)).toBe(template);
  });

  it('names a request no route matched by a fixed label', () => {
    expect(routeTemplate(undefined)).toBe(UNMATCHED_ROUTE);
    expect(UNMATCHED_ROUTE).toBe('unmatched');
  });
});
