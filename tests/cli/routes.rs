//! `axgen routes` on a real app: what `new`, `gen html` and `gen json` add, in namespaces
//! nested too.

use crate::{Axgen, axgen_snapshot};

#[test]
fn routes_lists_what_the_generators_added() {
    let dir = tempfile::tempdir().unwrap();
    Axgen::in_dir(dir.path())
        .args(["new", "blog", "--quiet"])
        .run()
        .assert_code(0);
    let app = dir.path().join("blog");
    let gen_html = [
        "gen",
        "html",
        "Blog",
        "Post",
        "posts",
        "title:string",
        "--quiet",
    ];
    Axgen::in_dir(&app).args(gen_html).run().assert_code(0);
    let gen_json = [
        "gen",
        "json",
        "Shop",
        "Item",
        "items",
        "name:string",
        "--web",
        "Admin",
        "--quiet",
    ];
    Axgen::in_dir(&app).args(gen_json).run().assert_code(0);
    let nested = [
        ["html", "Blog", "Tag", "tags", "Admin.V1"],
        ["json", "Shop", "Order", "orders", "Api.V1"],
    ];
    for [kind, context, schema, plural, web] in nested {
        let args = [
            "gen", kind, context, schema, plural, "name", "--web", web, "--quiet",
        ];
        Axgen::in_dir(&app).args(args).run().assert_code(0);
    }
    let run = Axgen::in_dir(&app).args(["routes"]).run();
    run.assert_code(0);
    axgen_snapshot!("routes_output", run);
}
