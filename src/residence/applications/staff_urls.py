"""The staff desk's application pages (queues, actions, counter intake, dashboard)."""

app_name = "desk"
urlpatterns = []
