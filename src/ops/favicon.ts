/**
 * The platform's icon: a "b" on a dark tile, in the console's colours. An SVG, so one small
 * text file serves every size; the console links it, and browsers that ask for /favicon.ico
 * on their own are answered without one.
 */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#1f2328"/>
<rect x="8" y="5" width="3.5" height="21" rx="1.5" fill="#d4a72c"/>
<circle cx="16.5" cy="19.5" r="5" fill="none" stroke="#d4a72c" stroke-width="3.5"/>
</svg>
`;
export const FAVICON_PATH = '/favicon.svg';
