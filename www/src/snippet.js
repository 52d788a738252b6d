// The loader snippet, pasted inline in <head> (www/dist/snippet.min.js is the minified form).
// It defines the command queue `waymark(...)`, hides the personalised surfaces until the SDK
// has rendered them (or `timeout` ms pass), and loads the SDK asynchronously. Edit the last
// line: the SDK's loader URL, the selectors to hide, the timeout. Then call waymark("configure").
(function (w, d, src, selectors, timeout) {
  var f = (w.waymark = function () {
    f.q.push(arguments);
  });
  var sheet, s;
  f.q = [];
  // A constructed stylesheet, not a <style>: a strict CSP allows it without 'unsafe-inline'.
  if (selectors && d.adoptedStyleSheets) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(selectors + "{visibility:hidden!important}");
    d.adoptedStyleSheets = d.adoptedStyleSheets.concat(sheet);
    f.u = function () {
      d.adoptedStyleSheets = d.adoptedStyleSheets.filter(function (x) {
        return x !== sheet;
      });
    };
    setTimeout(f.u, timeout || 1e3);
  }
  s = d.createElement("script");
  s.type = "module";
  s.src = src;
  d.head.appendChild(s);
})(window, document, "/dist/loader.js", "#hero h1,#offer", 1000);
