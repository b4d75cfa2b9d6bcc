import { resolve } from 'node:path';
import { FAVICON_PATH } from './favicon';

/**
 * Where `npm run build` puts the console's bundle (dist/console). Resolved from this file, so
 * it is the same folder whether the platform runs from dist/ or its sources run under test.
 */
export const CONSOLE_ASSETS = resolve(__dirname, '..', '..', 'dist', 'console');
export const CONSOLE_ASSETS_PREFIX = '/admin/assets/';

/**
 * The console's shell: no data and no token in it. The bundle asks for the admin token, keeps
 * it in sessionStorage and calls the bearer-protected ops API, so the page needs no session
 * or cookie (and a browser navigation, which cannot send a bearer, still loads it).
 */
export const ADMIN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>backstop ops</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
<link rel="stylesheet" href="${CONSOLE_ASSETS_PREFIX}console.css">
<script type="module" src="${CONSOLE_ASSETS_PREFIX}console.js"></script>
</head>
<body>
<div id="app"><noscript>The ops console needs JavaScript. The ops API it calls is described at <a href="/docs">/docs</a>.</noscript></div>
</body>
</html>
`;
