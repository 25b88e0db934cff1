"""Pages of incidents, one module per page: the board (with reports and metrics), the war room
(with its htmx partials), runbooks and the community status page. Views are thin: check access,
call one service, render."""
