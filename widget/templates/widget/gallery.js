/* Fanfare gallery embed v1.
 * <script src="https://fanfare.example/embed/v1/gallery.js" data-campaign="slug" async></script>
 * Renders the campaign's latest published feature inside a Shadow DOM next to the script tag.
 * It reads a static JSON document from the public storage (a CDN), never the application.
 * Captions and names are inserted as text, never as HTML; any failure stays inside the widget.
 */
(function () {
  "use strict";
  var DOC_TEMPLATE = {{ doc_template|safe }};
  var PLACEHOLDER = {{ placeholder|safe }};
  var CSS = [
    ":host{all:initial;display:block;font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f}",
    ".ff{background:#fff;border-radius:12px;padding:12px}",
    ".ff-head{display:flex;align-items:baseline;gap:.5em;margin:0 0 10px;font-size:1.05em}",
    ".ff-head a{color:#5b21b6;font-weight:700;text-decoration:none}",
    ".ff-head a:focus-visible,.ff-item a:focus-visible{outline:3px solid #5b21b6;outline-offset:2px}",
    ".ff-week{color:#555;font-size:.85em}",
    ".ff-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px;margin:0;padding:0;list-style:none}",
    ".ff-item{margin:0}",
    ".ff-item picture{position:relative;display:block}",
    ".ff-play{position:absolute;left:6px;bottom:6px;background:rgba(0,0,0,.72);color:#fff;font-size:.75em;padding:2px 6px;border-radius:4px}",
    ".ff-item img{display:block;width:100%;height:auto;aspect-ratio:1/1;object-fit:cover;border-radius:8px;background:#eee}",
    ".ff-cap{margin:6px 0 0;font-size:.9em;overflow-wrap:anywhere}",
    ".ff-by{display:block;color:#555;font-size:.85em}",
    ".ff-empty{color:#555;margin:0}"
  ].join("");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function pick(renditions, format) {
    return renditions.filter(function (r) { return r.format === format; })
      .sort(function (a, b) { return a.width - b.width; });
  }

  function picture(entry) {
    var jpeg = pick(entry.renditions || [], "jpeg");
    var colour = /^#[0-9a-f]{6}$/i.test(entry.dominant_color || "") ? entry.dominant_color : "#eeeeee";
    var placeholder = /^data:image\/webp;base64,[A-Za-z0-9+\/=]+$/.test(entry.placeholder || "") ? entry.placeholder : "";
    var webp = pick(entry.renditions || [], "webp");
    var fallback = jpeg[Math.min(1, jpeg.length - 1)] || webp[0];
    var pic = document.createElement("picture");
    if (webp.length) {
      var source = document.createElement("source");
      source.type = "image/webp";
      source.srcset = webp.map(function (r) { return r.url + " " + r.width + "w"; }).join(", ");
      source.sizes = "(min-width: 700px) 240px, 50vw";
      pic.appendChild(source);
    }
    var img = document.createElement("img");
    if (fallback) {
      img.src = fallback.url;
      img.width = fallback.width;
      img.height = fallback.height;
      if (jpeg.length) {
        img.srcset = jpeg.map(function (r) { return r.url + " " + r.width + "w"; }).join(", ");
        img.sizes = "(min-width: 700px) 240px, 50vw";
      }
    }
    img.alt = entry.alt_text || "";
    img.loading = "lazy";
    img.decoding = "async";
    img.style.backgroundColor = colour;
    if (placeholder) {
      img.style.backgroundImage = "url(" + placeholder + ")";
      img.style.backgroundSize = "cover";
    }
    pic.appendChild(img);
    if (entry.kind === "video") {
      var badge = el("span", "ff-play", "\u25B6 video");
      pic.appendChild(badge);
    }
    return pic;
  }

  function render(root, doc) {
    var box = el("section", "ff");
    box.setAttribute("aria-label", (doc.campaign && doc.campaign.hashtag) || "Gallery");
    var head = el("p", "ff-head");
    var link = el("a", null, doc.campaign.hashtag);
    link.href = doc.campaign.url;
    link.target = "_blank";
    link.rel = "noopener";
    head.appendChild(link);
    if (doc.week) head.appendChild(el("span", "ff-week", "Featured " + doc.week));
    box.appendChild(head);
    if (!doc.entries || !doc.entries.length) {
      box.appendChild(el("p", "ff-empty", "No featured entries yet."));
    } else {
      var list = el("ul", "ff-grid");
      doc.entries.forEach(function (entry) {
        var item = el("li", "ff-item");
        var a = el("a");
        a.href = entry.permalink;
        a.target = "_blank";
        a.rel = "noopener";
        a.appendChild(picture(entry));
        item.appendChild(a);
        var cap = el("p", "ff-cap", entry.caption);
        cap.appendChild(el("span", "ff-by", "by " + entry.creator));
        item.appendChild(cap);
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    root.replaceChildren(box);
  }

  function mount(script) {
    if (script.getAttribute("data-fanfare-mounted")) return;
    script.setAttribute("data-fanfare-mounted", "1");
    var slug = script.getAttribute("data-campaign");
    if (!slug) return;
    var host = document.createElement("div");
    host.className = "fanfare-gallery";
    script.parentNode.insertBefore(host, script);
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = CSS;
    root.appendChild(style);
    var content = document.createElement("div");
    root.appendChild(content);
    var url = DOC_TEMPLATE.replace(PLACEHOLDER, encodeURIComponent(slug));
    fetch(url, { mode: "cors", credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (doc) { render(content, doc); })
      .catch(function () { content.replaceChildren(el("p", "ff-empty", "The gallery is unavailable right now.")); });
  }

  try {
    var scripts = document.querySelectorAll("script[data-campaign][src*='/embed/v1/gallery.js']");
    for (var i = 0; i < scripts.length; i++) mount(scripts[i]);
  } catch (e) {
    /* never break the host page */
  }
})();
