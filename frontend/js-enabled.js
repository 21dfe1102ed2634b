// GOV.UK Frontend's "js-enabled" line, normally inline at the top of <body>. It lives in a
// file so the Content-Security-Policy can forbid inline script. Load it as the first element
// of <body> with a plain (blocking) <script src>, so the classes are set before first paint.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
