"""kafka-python's KafkaAdminClient over SASL_SSL (SCRAM-SHA-512, trusting the
cluster CA): create, describe and delete ACLs, then list and describe consumer
groups. Prints one JSON object with what each step saw."""
import json
import sys

from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                         KafkaAdminClient, ResourcePattern, ResourcePatternFilter, ResourceType)

brokers, cafile, user, password, topic, group = sys.argv[1:7]
admin = KafkaAdminClient(
    bootstrap_servers=brokers.split(','), client_id='py-admin-acls',
    security_protocol='SASL_SSL', sasl_mechanism='SCRAM-SHA-512',
    sasl_plain_username=user, sasl_plain_password=password, ssl_cafile=cafile,
)
out = {}


def named(acl):
    p = acl.resource_pattern
    return '%s %s %s %s:%s' % (acl.principal, acl.permission_type.name, acl.operation.name, p.resource_type.name, p.resource_name)


on_topic = ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL)
on_group = ResourcePattern(ResourceType.GROUP, group, ACLResourcePatternType.LITERAL)
created = admin.create_acls([
    ACL('User:carol', '*', ACLOperation.READ, ACLPermissionType.ALLOW, on_topic),
    ACL('User:carol', '*', ACLOperation.READ, ACLPermissionType.ALLOW, on_group),
])
out['created'] = sorted(named(a) for a in created['succeeded'])
out['createFailed'] = [str(err) for _, err in created['failed']]

carol = ACLFilter('User:carol', '*', ACLOperation.ANY, ACLPermissionType.ANY,
                  ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY))
acls, err = admin.describe_acls(carol)
out['described'] = sorted(named(a) for a in acls)
out['describeError'] = err.__name__

topic_only = ACLFilter('User:carol', '*', ACLOperation.ANY, ACLPermissionType.ANY,
                       ResourcePatternFilter(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL))
deleted = admin.delete_acls([topic_only])
out['deleted'] = sorted(named(a) for _, matches, _ in deleted for a, _ in matches)
acls, _ = admin.describe_acls(carol)
out['left'] = sorted(named(a) for a in acls)

out['groups'] = sorted(g for g, _ in admin.list_consumer_groups())
admin.close()
print(json.dumps(out))
